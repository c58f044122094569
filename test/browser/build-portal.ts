import { buildPortal, chromiumAvailable } from "./support.ts";

/**
 * The browser tier's global setup: builds portal/dist once, before any file starts a stack that serves
 * it. A build per file would empty the directory under another file's running stack.
 */
export default async function setup() {
  if (chromiumAvailable) await buildPortal();
}
