import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StackUnderTest, startStack } from "../support/stack.ts";

describe("requests no route takes, on the local HTTP server", () => {
  let stack: StackUnderTest;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.destroy());

  const call = async (method: string, path: string) => {
    const response = await fetch(`${stack.portalUrl}${path}`, { method });
    return {
      status: response.status,
      allow: response.headers.get("allow"),
      contentType: response.headers.get("content-type"),
      body: await response.json(),
    };
  };

  it.each(["PUT", "DELETE", "PATCH"])(
    "answers %s on a request with 405 in JSON, allowing GET",
    async (method) => {
      const answer = await call(method, "/api/requests/walk-1");

      expect(answer).toMatchObject({ status: 405, allow: "GET, HEAD", contentType: "application/json" });
      expect(answer.body).toEqual({ error: expect.stringContaining(method) });
    },
  );

  it("names both services' methods for the request list", async () => {
    expect(await call("PUT", "/api/requests")).toMatchObject({ status: 405, allow: "GET, HEAD, POST" });
  });

  it("answers POST on the health check with 405 in JSON", async () => {
    expect(await call("POST", "/api/health")).toMatchObject({
      status: 405,
      allow: "GET, HEAD",
      contentType: "application/json",
    });
  });

  it.each(["GET", "POST", "DELETE"])("answers %s on an unknown API path with 404 in JSON", async (method) => {
    const answer = await call(method, "/api/no-such-thing");

    expect(answer).toMatchObject({ status: 404, allow: null, contentType: "application/json" });
    expect(answer.body).toEqual({ error: expect.stringContaining("/api/no-such-thing") });
  });
});
