import { createRoute, z } from "@hono/zod-openapi";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../test/support/fakes.ts";
import { acceptJsonBody, answerUnrouted, createServiceApp } from "./http.ts";

/** Two services sharing a path under different methods, as intake and audit share `/api/requests`. */
const thingSchema = z.strictObject({ name: z.string() });

const createThing = createRoute({
  method: "post",
  path: "/api/things",
  request: { body: { required: true, content: { "application/json": { schema: thingSchema } } } },
  responses: { 201: { description: "Created", content: { "application/json": { schema: thingSchema } } } },
});

const writer = () => {
  const app = createServiceApp(silentLogger());
  app.openapi({ ...createThing, middleware: [acceptJsonBody] }, (c) => c.json(c.req.valid("json"), 201));
  return app;
};

const reader = () => {
  const app = createServiceApp(silentLogger());
  app.get("/api/things", (c) => c.json([]));
  app.get("/api/things/:id", (c) => c.json({ id: c.req.param("id") }));
  return app;
};

/** Mounted the way the local runtime mounts the service apps, beside the portal's catch-all pages. */
const combined = () => {
  const health = new Hono().get("/api/health", (c) => c.json({ status: "ok" }));
  const apps = [health, writer(), reader()];
  const http = new Hono();
  for (const app of apps) http.route("/", app);
  http.get("/api/*", (c) => c.notFound());
  http.get("/*", (c) => c.html("<p>the portal</p>"));
  http.notFound(answerUnrouted(apps));
  return http;
};

const answerOf = async (response: Response) => ({
  status: response.status,
  allow: response.headers.get("allow"),
  contentType: response.headers.get("content-type"),
  body: await response.json(),
});

describe("a service app's answer to a request no route takes", () => {
  it.each(["PUT", "DELETE", "PATCH"])(
    "answers %s on a known path with 405 JSON and Allow",
    async (method) => {
      const answer = await answerOf(await reader().request("/api/things/walk-1", { method }));

      expect(answer).toEqual({
        status: 405,
        allow: "GET, HEAD",
        contentType: "application/json",
        body: { error: `${method} is not allowed at /api/things/walk-1; allowed: GET, HEAD` },
      });
    },
  );

  it("answers an unknown path with 404 JSON", async () => {
    const answer = await answerOf(await reader().request("/api/nothing-here", { method: "POST" }));

    expect(answer).toEqual({
      status: 404,
      allow: null,
      contentType: "application/json",
      body: { error: "Nothing is served at /api/nothing-here" },
    });
  });

  it("still answers its routes", async () => {
    expect((await reader().request("/api/things/walk-1")).status).toBe(200);
    expect((await reader().request("/api/things/walk-1", { method: "HEAD" })).status).toBe(200);
  });
});

describe("the combined app of several service apps", () => {
  it("lists every mounted app's methods for a shared path", async () => {
    const answer = await answerOf(await combined().request("/api/things", { method: "PUT" }));

    expect(answer.status).toBe(405);
    expect(answer.allow).toBe("GET, HEAD, POST");
  });

  it("answers a wrong method on its own routes with 405", async () => {
    const answer = await answerOf(await combined().request("/api/health", { method: "POST" }));

    expect(answer.status).toBe(405);
    expect(answer.allow).toBe("GET, HEAD");
  });

  it.each(["GET", "PUT"])("answers %s on an unknown API path with 404 JSON", async (method) => {
    const answer = await answerOf(await combined().request("/api/things/walk-1/parts", { method }));

    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: "Nothing is served at /api/things/walk-1/parts" });
  });

  it("keeps serving every mounted route and the pages", async () => {
    const http = combined();

    expect((await http.request("/api/things/walk-1")).status).toBe(200);
    expect((await http.request("/api/health")).status).toBe(200);
    expect(await (await http.request("/requests/walk-1")).text()).toBe("<p>the portal</p>");
  });
});

describe("a body that is wrong as a whole", () => {
  const post = (body: string) =>
    writer().request("/api/things", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });

  it.each([
    ["not JSON", "{ name: ana", "is not valid JSON"],
    ["a JSON array", "[1, 2]", "Invalid input: expected object, received array"],
  ])("is named the same way when it is %s: the empty field, called body", async (_, body, problem) => {
    const answer = await answerOf(await post(body));

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: `Request is invalid: body ${problem}`,
      fieldErrors: [{ field: "", message: problem }],
    });
  });
});

describe("a Content-Type header too malformed for Hono's JSON validator", () => {
  it("is refused with 415 in JSON, not taken for an internal error", async () => {
    const response = await writer().request("/api/things", {
      method: "POST",
      headers: { "content-type": "application/json;" },
      body: JSON.stringify({ name: "ana" }),
    });

    const answer = await answerOf(response);
    expect(answer.status).toBe(415);
    expect(answer.contentType).toBe("application/json");
    expect(answer.body).toEqual({ error: expect.any(String) });
  });
});
