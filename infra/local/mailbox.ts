import { once } from "node:events";
import {
  appendFileSync,
  closeSync,
  existsSync,
  fdatasyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  truncateSync,
} from "node:fs";
import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { guardedListener, requestListenerOf } from "./edge/delegation.ts";
import type { DelegatedService } from "./edge/types.ts";
import { allowedHostsOf, refusedAsMisdirected } from "./host-check.ts";
import { refuseAsSes, refuseOnMailboxPort, withSesErrorShapes } from "./ses-guard.ts";

// aws-ses-v2-local is CommonJS with an `exports.default`; ESM import interop hands over the module object.
const require = createRequire(import.meta.url);
const startSesServer = (require("aws-ses-v2-local") as typeof import("aws-ses-v2-local")).default;
type SesStore = typeof import("aws-ses-v2-local/dist/store.js");
// Writable: the journal wraps two of its functions (see startMailbox).
const sesStore = require("aws-ses-v2-local/dist/store.js") as {
  -readonly [K in keyof SesStore]: SesStore[K];
};

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
  /** SES's API as the edge hands it over: the viewer's routes are not part of it. */
  sesApi: DelegatedService;
  close(): Promise<void>;
}

/**
 * The emails of the journal. A line cut short by a kill is the last one and held an email SES never
 * confirmed: it is cut off the file too, so the next email starts on a line of its own.
 */
const readJournal = (file: string): Email[] => {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, "utf8");
  const complete = text.slice(0, text.lastIndexOf("\n") + 1);
  if (complete.length < text.length) truncateSync(file, Buffer.byteLength(complete));
  return complete
    .split("\n")
    .filter(Boolean)
    .map((line, index) => {
      try {
        return JSON.parse(line) as Email;
      } catch (error) {
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
  publicUrl,
}: {
  host: string;
  port: number;
  dataDir: string;
  /** Its host is answered besides loopback's (see host-check.ts). */
  publicUrl?: string;
}): Promise<Mailbox> => {
  await assertPortFree(port, host);
  const file = join(dataDir, "mailbox.ndjson");
  sesStore.getStoreReadonly().emails.push(...readJournal(file));
  const journal = openSync(file, "a");
  // aws-ses-v2-local calls these through its store module's exports, so wrapping them there sees every
  // email it stores and every clear, whichever array the store holds at the time.
  const { saveEmail, clearStore } = sesStore;
  sesStore.saveEmail = (email) => {
    appendFileSync(journal, `${JSON.stringify(email)}\n`);
    fdatasyncSync(journal);
    saveEmail(email);
  };
  sesStore.clearStore = () => {
    ftruncateSync(journal, 0);
    fdatasyncSync(journal);
    clearStore();
  };
  // The store outlives the mailbox in this process; emptying it keeps a restart from loading twice.
  const unwrap = () => {
    sesStore.saveEmail = saveEmail;
    sesStore.clearStore = clearStore;
    clearStore();
    closeSync(journal);
  };

  let server: Server | undefined;
  let sesListener: RequestListener;
  try {
    server = await startSesServer({ host, port });
    if (!server.listening) await once(server, "listening");
    sesListener = withSesErrorShapes(requestListenerOf(server));
  } catch (error) {
    const started = server;
    if (started?.listening) await new Promise((resolve) => started.close(resolve));
    unwrap();
    throw error;
  }
  const hasEmail = (messageId: string) =>
    sesStore.getStoreReadonly().emails.some((email) => email.messageId === messageId);
  const allowedHosts = allowedHostsOf(publicUrl);
  const answerMailboxPort = guardedListener(sesListener, refuseOnMailboxPort(hasEmail));
  server.removeAllListeners("request");
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    if (!refusedAsMisdirected(request, response, allowedHosts)) answerMailboxPort(request, response);
  });
  const listening = server;
  return {
    server: listening,
    port: (listening.address() as AddressInfo).port,
    sesApi: { listener: sesListener, refuse: refuseAsSes },
    close: async () => {
      await new Promise((resolve) => listening.close(resolve));
      unwrap();
    },
  };
};
