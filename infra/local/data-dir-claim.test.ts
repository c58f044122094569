import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLAIM_FILE, claimDataDir, DataDirInUseError } from "./data-dir-claim.ts";

const freshDir = () => mkdtempSync(join(tmpdir(), "data-dir-claim-"));

/** A process that runs until killed, to stand for another stack. */
const otherProcess = async () => {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  await once(child, "spawn");
  return child;
};

describe("claiming the data directory for one stack", () => {
  it("refuses a directory another running process claimed, naming it and what to do", async () => {
    const dataDir = freshDir();
    const other = await otherProcess();
    try {
      writeFileSync(join(dataDir, CLAIM_FILE), String(other.pid));

      const claim = claimDataDir(dataDir);

      await expect(claim).rejects.toBeInstanceOf(DataDirInUseError);
      await expect(claim).rejects.toThrow(`in use by the local stack of process ${other.pid}`);
      expect(readFileSync(join(dataDir, CLAIM_FILE), "utf8")).toBe(String(other.pid));
    } finally {
      other.kill("SIGKILL");
    }
  });

  it("takes over the claim of a stack whose process is gone, as after a kill -9", async () => {
    const dataDir = freshDir();
    const other = await otherProcess();
    other.kill("SIGKILL");
    await once(other, "exit");
    writeFileSync(join(dataDir, CLAIM_FILE), String(other.pid));

    await claimDataDir(dataDir);

    expect(readFileSync(join(dataDir, CLAIM_FILE), "utf8")).toBe(String(process.pid));
  });

  it("frees the directory when the stack stops, for the next one", async () => {
    const dataDir = freshDir();
    const claim = await claimDataDir(dataDir);

    await claim.release();

    expect(() => readFileSync(join(dataDir, CLAIM_FILE))).toThrow(/ENOENT/);
  });
});
