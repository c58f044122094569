import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";

// aws-ses-v2-local is CommonJS with an `exports.default`; ESM import interop hands over the module object.
const require = createRequire(import.meta.url);
const startSesServer = (require("aws-ses-v2-local") as typeof import("aws-ses-v2-local")).default;
const sesStore = require("aws-ses-v2-local/dist/store.js") as typeof import("aws-ses-v2-local/dist/store.js");

const PERSIST_INTERVAL_MS = 500;

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
    throw new Error(
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

/**
 * aws-ses-v2-local on the mailbox port, its emails kept under DATA_DIR: the server holds them in
 * memory only, so they are reloaded at start and written back (atomically) whenever new ones arrived.
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
  const file = join(dataDir, "mailbox.json");
  const emails = sesStore.getStoreReadonly().emails;
  if (existsSync(file)) emails.push(...(JSON.parse(readFileSync(file, "utf8")) as typeof emails));

  let persistedCount = emails.length;
  const persist = async () => {
    const current = sesStore.getStoreReadonly().emails;
    if (current.length === persistedCount) return;
    const count = current.length;
    await writeFile(`${file}.tmp`, JSON.stringify(current));
    await rename(`${file}.tmp`, file);
    persistedCount = count;
  };
  let persisting = Promise.resolve();
  const timer = setInterval(() => {
    persisting = persisting
      .then(persist)
      .catch((error) => console.error("[mailbox] could not save emails", error));
  }, PERSIST_INTERVAL_MS);

  await assertPortFree(port, host);
  const server: Server = await startSesServer({ host, port });
  if (!server.listening) await once(server, "listening");
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      clearInterval(timer);
      await persisting;
      await persist();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};
