import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MailboxPortInUseError, startMailbox } from "./mailbox.ts";

describe("startMailbox", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "mailbox-"));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it("refuses a port that is taken with MailboxPortInUseError naming the port", async () => {
    const occupant = createServer().listen(0, "127.0.0.1");
    await once(occupant, "listening");
    const { port } = occupant.address() as AddressInfo;

    const starting = startMailbox({ host: "127.0.0.1", port, dataDir });

    await expect(starting).rejects.toThrow(MailboxPortInUseError);
    await expect(starting).rejects.toThrow(`Port ${port} for the mailbox is already in use`);
    await new Promise((done) => occupant.close(done));
  });
});
