import { once } from "node:events";
import { readFileSync } from "node:fs";
import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { type AddressInfo, createServer } from "node:net";
import { dirname, join } from "node:path";
import { withTabs } from "./chat/pages.ts";
import { ChatStandIn, type ChatStandInOptions } from "./chat/stand-in.ts";
import { guardedListener, requestListenerOf, requestUrlOf } from "./edge/delegation.ts";
import type { DelegatedService } from "./edge/types.ts";
import { allowedHostsOf, refusedAsMisdirected } from "./host-check.ts";
import { LineJournal } from "./line-journal.ts";
import { refuseAsSes, refuseOnMailboxPort, withSesErrorShapes } from "./ses-guard.ts";

// aws-ses-v2-local is CommonJS with an `exports.default`; ESM import interop hands over the module object.
const require = createRequire(import.meta.url);
const startSesServer = (require("aws-ses-v2-local") as typeof import("aws-ses-v2-local")).default;
type SesStore = typeof import("aws-ses-v2-local/dist/store.js");
// Writable: the journal wraps two of its functions (see startMailbox).
const sesStore = require("aws-ses-v2-local/dist/store.js") as {
  -readonly [K in keyof SesStore]: SesStore[K];
};

/** The library's viewer page, served with the tabs to Slack's and Teams' stand-ins. */
const viewerWithTabs = () =>
  withTabs(
    readFileSync(join(dirname(require.resolve("aws-ses-v2-local")), "..", "static", "index.html"), "utf8"),
  );

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
 * aws-ses-v2-local on the mailbox port, its emails kept under DATA_DIR. The server holds them in
 * memory only, so each one is appended to a journal and flushed to disk as it is stored, before SES
 * answers the sender: an email a service was told is sent survives a kill -9.
 */
export const startMailbox = async ({
  host,
  port,
  dataDir,
  publicUrl,
  chat: chatOptions,
  onEmail,
}: {
  host: string;
  port: number;
  dataDir: string;
  /** Its host is answered besides loopback's (see host-check.ts). */
  publicUrl?: string;
  /** Slack's and Teams' stand-ins on the same port (chat/stand-in.ts); none without it. */
  chat?: Omit<ChatStandInOptions, "dataDir" | "ownUrl">;
  /** Told of each email once it is stored (ses-events.ts: the simulator's feedback). */
  onEmail?: (email: Email) => void;
}): Promise<Mailbox> => {
  await assertPortFree(port, host);
  let boundPort = 0;
  const chat =
    chatOptions &&
    new ChatStandIn({ ...chatOptions, dataDir, ownUrl: () => `http://localhost:${boundPort}` });
  const journal = LineJournal.open<Email>(join(dataDir, "mailbox.ndjson"), "an email");
  sesStore.getStoreReadonly().emails.push(...journal.records);
  // aws-ses-v2-local calls these through its store module's exports, so wrapping them there sees every
  // email it stores and every clear, whichever array the store holds at the time.
  const { saveEmail, clearStore } = sesStore;
  sesStore.saveEmail = (email) => {
    journal.append(email);
    saveEmail(email);
    onEmail?.(email);
  };
  sesStore.clearStore = () => {
    journal.clear();
    clearStore();
    chat?.clear();
  };
  // The store outlives the mailbox in this process; emptying it keeps a restart from loading twice.
  const unwrap = () => {
    sesStore.saveEmail = saveEmail;
    sesStore.clearStore = clearStore;
    clearStore();
    journal.close();
    chat?.close();
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
    if (refusedAsMisdirected(request, response, allowedHosts)) return;
    const path = requestUrlOf(request.url)?.pathname;
    // Before SES's listener, which would take the stand-ins' paths for its own.
    if (chat && path && ChatStandIn.handles(path)) chat.listener(request, response);
    else if (chat && path === "/" && (request.method === "GET" || request.method === "HEAD"))
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(viewerWithTabs());
    else answerMailboxPort(request, response);
  });
  const listening = server;
  boundPort = (listening.address() as AddressInfo).port;
  return {
    server: listening,
    port: boundPort,
    sesApi: { listener: sesListener, refuse: refuseAsSes },
    close: async () => {
      await new Promise((resolve) => listening.close(resolve));
      unwrap();
    },
  };
};
