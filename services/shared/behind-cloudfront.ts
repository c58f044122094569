import { createHash, timingSafeEqual } from "node:crypto";
import { type APIGatewayProxyResult, handle, type LambdaContext, type LambdaEvent } from "hono/aws-lambda";
import { env, loadConfig } from "./config.ts";

/**
 * The header CloudFront adds to every request it forwards to the HTTP API, holding a secret only it
 * and the functions know. API Gateway's own endpoint stays reachable on the internet (closing it needs
 * a custom domain on the API), so the functions answer only requests that carry it: CloudFront's
 * throttling, logging and headers cannot be bypassed.
 */
export const ORIGIN_VERIFY_HEADER = "x-origin-verify";

/** The refusal of a request that did not come through CloudFront; it tells a prober nothing more. */
const NOT_THROUGH_CLOUDFRONT: APIGatewayProxyResult = {
  statusCode: 403,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ error: "Use the portal's address" }),
  isBase64Encoded: false,
};

/** Compares digests, so neither the secret's length nor its prefix leaks through timing. */
const sameSecret = (presented: unknown, secret: string): boolean =>
  typeof presented === "string" &&
  timingSafeEqual(
    createHash("sha256").update(presented).digest(),
    createHash("sha256").update(secret).digest(),
  );

/**
 * The Lambda handler of a service's HTTP app deployed behind CloudFront: requests without CloudFront's
 * secret header are refused before the app sees them. Local mode mounts the app itself, without this.
 */
export const handleBehindCloudFront = (app: Parameters<typeof handle>[0]) => {
  const { ORIGIN_VERIFY_SECRET } = loadConfig({ ORIGIN_VERIFY_SECRET: env.text() });
  const handleRequest = handle(app);
  return async (event: LambdaEvent, context?: LambdaContext): Promise<APIGatewayProxyResult> =>
    sameSecret(event.headers?.[ORIGIN_VERIFY_HEADER], ORIGIN_VERIFY_SECRET)
      ? handleRequest(event, context)
      : NOT_THROUGH_CLOUDFRONT;
};
