import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readOrCreateSecretFile } from "./secret-file.ts";

const directories: string[] = [];
const freshDirectory = () => {
  const directory = mkdtempSync(join(tmpdir(), "secret-file-"));
  directories.push(directory);
  return directory;
};
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe("a secret kept in the data directory", () => {
  it("is made once, readable by its owner alone, and read back afterwards", async () => {
    const file = join(freshDirectory(), "key");
    let made = 0;
    const make = () => `secret-${++made}`;
    expect(await readOrCreateSecretFile(file, make)).toBe("secret-1");
    expect(await readOrCreateSecretFile(file, make)).toBe("secret-1");
    expect(made).toBe(1);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("is made owner-only even over a temporary file a crash left readable by others", async () => {
    const file = join(freshDirectory(), "key");
    writeFileSync(`${file}.tmp`, "half", { mode: 0o644 });
    await readOrCreateSecretFile(file, () => "whole");
    expect(readFileSync(file, "utf8")).toBe("whole");
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
