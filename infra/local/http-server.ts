import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import { answerUnrouted } from "../../services/shared/http.ts";
import type { ServiceManifest } from "../../services/shared/manifest.ts";
import { importFromRepository, REPO_ROOT } from "./functions.ts";

const PORTAL_DIST = join(REPO_ROOT, "portal", "dist");

export interface RunningHttpServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Port 3000: every service's HTTP app (as API Gateway routes them on AWS), the health check and the
 * built portal, as CloudFront serves it. It listens only once every other part is up, so answering at
 * all means ready.
 */
export const startHttpServer = async ({
  services,
  port,
  host,
  health,
}: {
  services: readonly ServiceManifest[];
  port: number;
  host: string;
  health: Record<string, string>;
}): Promise<RunningHttpServer> => {
  const apps: Hono[] = [new Hono().get("/api/health", (c) => c.json({ status: "ok", ...health }))];
  for (const service of services) {
    if (service.http) apps.push((await importFromRepository(service.http.app)).app as Hono);
  }
  const http = new Hono();
  for (const app of apps) http.route("/", app);
  // Mounted apps' not-found handlers are not inherited: the combined app answers for all of them.
  http.notFound(answerUnrouted(apps));
  http.get("/api/*", (c) => c.notFound());
  http.use("/*", serveStatic({ root: PORTAL_DIST }));
  // The portal routes in the browser: every other page path gets its shell.
  http.get("/*", serveStatic({ root: PORTAL_DIST, path: "index.html" }));

  const server = serve({ fetch: http.fetch, port, hostname: host }) as Server;
  await Promise.race([
    once(server, "listening"),
    once(server, "error").then(([error]) => Promise.reject(error)),
  ]);
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
};
