import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import { PORTAL_CONFIG_PATH, PORTAL_SCOPE, type PortalConfig } from "../../api/portal-config.ts";
import { answerUnrouted } from "../../services/shared/http.ts";
import type { ServiceManifest } from "../../services/shared/manifest.ts";
import { importFromRepository, REPO_ROOT } from "./functions.ts";
import { allowedHostsOf, isAllowedHost, MISDIRECTED_STATUS, misdirectedBody } from "./host-check.ts";
import { LOCAL_PORTAL_CLIENT_ID } from "./identity/portal-client.ts";

const PORTAL_DIST = join(REPO_ROOT, "portal", "dist");

export interface RunningHttpServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Port 3000: every service's HTTP app (as API Gateway routes them on AWS), the health check and the
 * built portal with its configuration (signing in at the local provider), as CloudFront serves them.
 * It listens only once every other part is up, so answering at all means ready.
 */
export const startHttpServer = async ({
  services,
  port,
  host,
  publicUrl,
  health,
  identityProviderUrl,
}: {
  services: readonly ServiceManifest[];
  port: number;
  host: string;
  /** Its host is answered besides loopback's (see host-check.ts). */
  publicUrl: string;
  health: Record<string, string>;
  /** The local OpenID Provider's issuer, where the portal signs in. */
  identityProviderUrl: string;
}): Promise<RunningHttpServer> => {
  const portalConfig: PortalConfig = {
    signIn: { authority: identityProviderUrl, clientId: LOCAL_PORTAL_CLIENT_ID, scope: PORTAL_SCOPE },
  };
  const apps: Hono[] = [new Hono().get("/api/health", (c) => c.json({ status: "ok", ...health }))];
  for (const service of services) {
    if (service.http) apps.push((await importFromRepository(service.http.app)).app as Hono);
  }
  const http = new Hono();
  const allowedHosts = allowedHostsOf(publicUrl);
  // Registered before every route, so it runs first for all of them.
  http.use("*", async (c, next) => {
    if (!isAllowedHost(c.req.header("host"), allowedHosts))
      return c.json(misdirectedBody(allowedHosts), MISDIRECTED_STATUS);
    await next();
  });
  for (const app of apps) http.route("/", app);
  // Mounted apps' not-found handlers are not inherited: the combined app answers for all of them.
  http.notFound(answerUnrouted(apps));
  http.get("/api/*", (c) => c.notFound());
  // Read at every start of the portal: a cached copy would outlive a restart on other ports.
  http.get(PORTAL_CONFIG_PATH, (c) => c.json(portalConfig, 200, { "Cache-Control": "no-store" }));
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
