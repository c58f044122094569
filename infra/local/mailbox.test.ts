import { once } from "node:events";
import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
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

describe("the mailbox journal", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "mailbox-journal-"));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  const send = async (port: number, subject: string) => {
    const ses = new SESv2Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    await ses.send(
      new SendEmailCommand({
        FromEmailAddress: "approvals@example.com",
        Destination: { ToAddresses: ["ana@example.com"] },
        Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: subject } } } },
      }),
    );
    ses.destroy();
  };
  const subjectsIn = async (port: number) =>
    (
      (await (await fetch(`http://127.0.0.1:${port}/store`)).json()) as { emails: { subject: string }[] }
    ).emails.map((email) => email.subject);

  it("keeps what was sent after a clear, and not what was cleared, across restarts in one process", async () => {
    const first = await startMailbox({ host: "127.0.0.1", port: 0, dataDir });
    await send(first.port, "cleared");
    await fetch(`http://127.0.0.1:${first.port}/clear-store`, { method: "POST" });
    await send(first.port, "kept");
    await first.close();

    const second = await startMailbox({ host: "127.0.0.1", port: 0, dataDir });
    const subjects = await subjectsIn(second.port);
    await second.close();

    expect(subjects).toEqual(["kept"]);
  });

  it("drops a line cut short by a kill, and keeps the next email on a line of its own", async () => {
    await appendFile(join(dataDir, "mailbox.ndjson"), '{"torn":');
    const afterCrash = await startMailbox({ host: "127.0.0.1", port: 0, dataDir });
    await send(afterCrash.port, "after the crash");
    await afterCrash.close();

    const next = await startMailbox({ host: "127.0.0.1", port: 0, dataDir });
    const subjects = await subjectsIn(next.port);
    await next.close();

    expect(subjects).toEqual(["kept", "after the crash"]);
  });
});
