import { Hono } from "hono";
import type { LambdaEvent } from "hono/aws-lambda";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { handleBehindCloudFront, ORIGIN_VERIFY_HEADER } from "./behind-cloudfront.ts";

const SECRET = "s3cr3t-value-only-cloudfront-knows";

const requestWith = (headers: Record<string, string>) =>
  ({
    version: "2.0",
    routeKey: "GET /api/ping",
    rawPath: "/api/ping",
    rawQueryString: "",
    headers,
    requestContext: {
      http: {
        method: "GET",
        path: "/api/ping",
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.9",
        userAgent: "t",
      },
      domainName: "abc.execute-api.eu-west-1.amazonaws.com",
      requestId: "r-1",
      routeKey: "GET /api/ping",
      stage: "$default",
      time: "07/Dec/2026:15:00:00 +0000",
      timeEpoch: 0,
    },
    isBase64Encoded: false,
  }) as unknown as LambdaEvent;

describe("an HTTP function behind CloudFront", () => {
  const app = new Hono().get("/api/ping", (c) => c.json({ pong: true }));

  beforeEach(() => {
    process.env.ORIGIN_VERIFY_SECRET = SECRET;
  });

  afterEach(() => {
    delete process.env.ORIGIN_VERIFY_SECRET;
  });

  it("hands a request that came through CloudFront to the app", async () => {
    const answer = await handleBehindCloudFront(app)(requestWith({ [ORIGIN_VERIFY_HEADER]: SECRET }));

    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ pong: true });
  });

  it("refuses a request to API Gateway's own endpoint, without the header or with another value", async () => {
    const handler = handleBehindCloudFront(app);

    const refused: Record<string, string>[] = [
      {},
      { [ORIGIN_VERIFY_HEADER]: "guess" },
      { [ORIGIN_VERIFY_HEADER]: `${SECRET}x` },
    ];
    for (const headers of refused) {
      const answer = await handler(requestWith(headers));
      expect(answer.statusCode).toBe(403);
      expect(JSON.parse(answer.body)).toEqual({ error: "Use the portal's address" });
    }
  });

  it("will not start without the secret, naming the variable", () => {
    delete process.env.ORIGIN_VERIFY_SECRET;

    expect(() => handleBehindCloudFront(app)).toThrow(/ORIGIN_VERIFY_SECRET/);
  });
});
