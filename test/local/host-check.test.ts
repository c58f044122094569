import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEdge } from "../../infra/local/edge/server.ts";
import { startHttpServer } from "../../infra/local/http-server.ts";
import { startIdentityProvider } from "../../infra/local/identity/server.ts";
import { DEFAULT_LOCAL_USERS } from "../../infra/local/identity/users.ts";
import { startMailbox } from "../../infra/local/mailbox.ts";

/** A stack reached from other machines under its own name, as PUBLIC_URL tells. */
const PUBLIC_URL = "http://approvals.internal.test:8080";

interface ServerUnderTest {
  port: number;
  /** A path the server answers 200 to when the host is one of its own. */
  path: string;
  close(): Promise<void>;
}

/** Every server `npm start` runs, each started alone on a free port. */
const SERVERS: Record<string, (dataDir: string) => Promise<ServerUnderTest>> = {
  "the HTTP server": async () => {
    const http = await startHttpServer({
      services: [],
      port: 0,
      host: "127.0.0.1",
      publicUrl: PUBLIC_URL,
      health: {},
      identityProviderUrl: "http://localhost:1",
    });
    return { ...http, path: "/api/health" };
  },
  "the AWS edge": async () => {
    const edge = await startEdge({
      port: 0,
      publicUrl: PUBLIC_URL,
      services: {},
      principals: [],
      localRoutes: async (request) =>
        request.path === "/health" ? { status: 200, headers: {}, body: "ok" } : undefined,
    });
    return { port: Number(new URL(edge.url).port), path: "/health", close: edge.close };
  },
  "the mailbox": async (dataDir) => {
    const mailbox = await startMailbox({ host: "127.0.0.1", port: 0, dataDir, publicUrl: PUBLIC_URL });
    return { ...mailbox, path: "/store" };
  },
  "the OpenID Provider": async (dataDir) => {
    const identity = await startIdentityProvider({
      host: "127.0.0.1",
      port: 0,
      dataDir,
      publicUrl: PUBLIC_URL,
      users: DEFAULT_LOCAL_USERS,
    });
    return { ...identity, path: "/.well-known/openid-configuration" };
  },
};

/** A request to the loopback address that names `host` in its Host header, as a rebound browser would. */
const answerTo = (server: ServerUnderTest, host: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = httpRequest(
      { host: "127.0.0.1", port: server.port, path: server.path, headers: { host } },
      (answer) => {
        let body = "";
        answer.setEncoding("utf8").on("data", (chunk: string) => {
          body += chunk;
        });
        answer.on("end", () => resolve({ status: answer.statusCode ?? 0, body }));
      },
    );
    outgoing.on("error", reject).end();
  });

describe.each(Object.entries(SERVERS))("%s, against DNS rebinding", (_, start) => {
  let dataDir: string;
  let server: ServerUnderTest;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "host-check-"));
    server = await start(dataDir);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    ["localhost", (port: number) => `localhost:${port}`],
    ["127.0.0.1", (port: number) => `127.0.0.1:${port}`],
    ["[::1]", (port: number) => `[::1]:${port}`],
    ["PUBLIC_URL's host, on another port", () => "approvals.internal.test:8080"],
    ["a host in capitals", (port: number) => `LOCALHOST:${port}`],
  ])("answers to %s", async (_, hostOf) => {
    expect((await answerTo(server, hostOf(server.port))).status).toBe(200);
  });

  it.each([
    ["another site's name", (port: number) => `rebind.example:${port}`],
    ["another site's name without a port", () => "rebind.example"],
    ["a name that only starts like localhost", (port: number) => `localhost.rebind.example:${port}`],
    ["a name that only ends like PUBLIC_URL's", () => "evil-approvals.internal.test:8080"],
  ])("answers 421 with a short JSON body to %s", async (_, hostOf) => {
    const answer = await answerTo(server, hostOf(server.port));

    expect(answer.status).toBe(421);
    expect(JSON.parse(answer.body)).toEqual({
      error: "misdirected_request",
      error_description: "This server answers only to localhost, 127.0.0.1, [::1], approvals.internal.test",
    });
  });
});
