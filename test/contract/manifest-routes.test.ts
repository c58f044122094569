import "../support/service-environment.ts";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { services } from "../../services/registry.ts";

const REPOSITORY = join(import.meta.dirname, "..", "..");

/** A route as API Gateway names it: `GET /api/requests/{id}`. */
const routeKey = (method: string, path: string) => `${method} ${path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`;

/**
 * What an app answers: its handlers' routes, without the middleware Hono lists too (under ALL, or on a
 * wildcard path such as `/decisions/*`). Hono answers
 * HEAD with a GET route's handler, as API Gateway must be told to route it: a GET counts for both.
 */
const routesServedBy = (app: Hono): string[] =>
  [
    ...new Set(
      app.routes
        .filter((route) => route.method !== "ALL" && !route.path.includes("*"))
        .map((route) => routeKey(route.method, route.path)),
    ),
  ].flatMap((key) => (key.startsWith("GET ") ? [key, key.replace(/^GET /, "HEAD ")] : [key]));

describe("each service's manifest", () => {
  for (const service of services.filter((candidate) => candidate.http)) {
    it(`${service.name}: declares exactly the routes its app serves, so CDK routes what local mode serves`, async () => {
      const http = service.http as NonNullable<typeof service.http>;
      const { app } = (await import(pathToFileURL(join(REPOSITORY, http.app)).href)) as { app: Hono };
      const declared = http.routes.map((route) => routeKey(route.method, route.path));
      const served = new Set(routesServedBy(app));
      // Every declared route is served; every served route but an implicit HEAD is declared.
      expect(declared.filter((key) => !served.has(key))).toEqual([]);
      expect([...served].filter((key) => !key.startsWith("HEAD ") && !declared.includes(key))).toEqual([]);
    });
  }
});
