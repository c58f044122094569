import { once } from "node:events";
import { appendFileSync, closeSync, existsSync, fdatasyncSync, openSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";

// aws-ses-v2-local is CommonJS with an `exports.default`; ESM import interop hands over the module object.
const require = createRequire(import.meta.url);
const startSesServer = (require("aws-ses-v2-local") as typeof import("aws-ses-v2-local")).default;
const sesStore = require("aws-ses-v2-local/dist/store.js") as typeof import("aws-ses-v2-local/dist/store.js");

type Email = ReturnType<typeof sesStore.getStoreReadonly>["emails"][number];

export class MailboxPortInUseError extends Error {
  override readonly name = "MailboxPortInUseError";
}

/** A port is probed first because aws-ses-v2-local crashes the process instead of rejecting when it is taken. */
const assertPortFree = async (port: number, host: string) => {
  if (port === 0) return;
  const probe = createServer();
  try {
    await new Promise<void>((resolvePromise, reject) => {
      probe.once("error", reject);
      probe.listen(port, host, () => resolvePromise());
    });
  } catch (cause) {
    throw new MailboxPortInUseError(
      `Port ${port} for the mailbox is already in use; set a different port or stop what uses it`,
      {
        cause,
      },
    );
  } finally {
    await new Promise((resolvePromise) => probe.close(resolvePromise));
  }
};

export interface Mailbox {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** A journal line cut short by a kill is the last one; it held an email SES never confirmed. */
const readJournal = (file: string): Email[] => {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
  return lines.flatMap((line, index) => {
    try {
      return [JSON.parse(line) as Email];
    } catch (error) {
      if (index === lines.length - 1) return [];
      throw new MailboxJournalError(`${file} line ${index + 1} is not an email`, { cause: error });
    }
  });
};

export class MailboxJournalError extends Error {
  override readonly name = "MailboxJournalError";
}

/**
 * aws-ses-v2-local on the mailbox port, its emails kept under DATA_DIR. The server holds them in
 * memory only, so each one is appended to a journal and flushed to disk as it is stored, before SES
 * answers the sender: an email a service was told is sent survives a kill -9.
 */
export const startMailbox = async ({
  host,
  port,
  dataDir,
}: {
  host: string;
  port: number;
  dataDir: string;
}): Promise<Mailbox> => {
  const file = join(dataDir, "mailbox.ndjson");
  const emails = sesStore.getStoreReadonly().emails;
  emails.push(...readJournal(file));
  const journal = openSync(file, "a");
  emails.push = (...added: Email[]) => {
    appendFileSync(journal, added.map((email) => `${JSON.stringify(email)}\n`).join(""));
    fdatasyncSync(journal);
    return Array.prototype.push.apply(emails, added);
  };

  await assertPortFree(port, host);
  const server: Server = await startSesServer({ host, port });
  if (!server.listening) await once(server, "listening");
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      closeSync(journal);
    },
  };
};
