import type { Logger } from "@aws-lambda-powertools/logger";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, Hono, MiddlewareHandler, NotFoundHandler, ValidationTargets } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { METHOD_NAME_ALL } from "hono/router";
import type { BlankEnv } from "hono/types";
import { type FieldError, fieldErrorsOf } from "../../events/validation.ts";
import { ClientError } from "./errors.ts";

/** Bodies above this are refused before parsing: no request of the API comes close. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/**
 * An answer sent before the body was read leaves the rest of it on the connection: closing it keeps a
 * client from sending its next request down a socket the server is about to drop.
 */
export const closeAfterEarlyAnswer = (c: Context) => c.header("Connection", "close");

/** The methods some route of these apps answers at a path; Hono answers HEAD wherever it answers GET. */
const methodsServedAt = (apps: readonly Hono[], path: string): string[] => {
  const served = new Set<string>();
  for (const app of apps) {
    for (const { method } of app.routes) {
      // Middleware (`use`) is registered for every method and serves nothing by itself.
      if (method === METHOD_NAME_ALL || served.has(method)) continue;
      const [matches] = app.router.match(method, path);
      if (matches.some(([[, route]]) => route.method === method)) served.add(method);
    }
  }
  if (served.has("GET")) served.add("HEAD");
  return [...served].sort();
};

/**
 * What an app answers when none of its routes took a request, judged by the routes of `apps`: 405
 * with `Allow` for a path they serve under other methods, otherwise 404, both as JSON. An app that
 * mounts others with `route()` does not inherit their not-found handler, so it installs this one
 * with the mounted apps.
 */
export const answerUnrouted =
  (apps: readonly Hono[]): NotFoundHandler =>
  (c) => {
    const allowed = methodsServedAt(apps, c.req.path);
    if (allowed.length === 0 || allowed.includes(c.req.method))
      return c.json({ error: `Nothing is served at ${c.req.path}` }, 404);
    const allow = allowed.join(", ");
    return c.json({ error: `${c.req.method} is not allowed at ${c.req.path}; allowed: ${allow}` }, 405, {
      Allow: allow,
    });
  };

/**
 * 400 naming every field's problem. The whole body is the empty field, as the catalog's `FieldError`
 * has it; the message calls it "body" (only a body can be wrong as a whole: queries and paths are
 * always objects of strings).
 */
const invalidInput = (what: string, fieldErrors: FieldError[], options?: ErrorOptions) =>
  new ClientError(
    400,
    `${what} is invalid: ${fieldErrors.map(({ field, message }) => `${field || "body"} ${message}`).join("; ")}`,
    fieldErrors,
    options,
  );

/** How a refusal names the part of the request a route's schema refused; anything else is the body. */
const INPUT_NAMES: Partial<Record<keyof ValidationTargets, string>> = { query: "Query", param: "Path" };

/**
 * A Hono app serving routes of the API's contract (`app.openapi(route, handler)`), with the policies
 * every service shares: input a route's schemas refuse is answered 400 naming each field's problem,
 * bodies above `MAX_JSON_BODY_BYTES` are refused with 413, 4xx messages pass through as JSON, 5xx
 * details are logged and hidden, and a request no route takes gets a JSON 404 or 405.
 */
export const createServiceApp = (logger: Logger) => {
  const app = new OpenAPIHono<BlankEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw invalidInput(INPUT_NAMES[result.target] ?? "Request", fieldErrorsOf(result.error));
      }
    },
  });
  // The limit is counted as the body streams in: a chunked body, which declares no length, is cut
  // off at the limit instead of being read whole first.
  app.use(
    bodyLimit({
      maxSize: MAX_JSON_BODY_BYTES,
      onError: (c) => {
        closeAfterEarlyAnswer(c);
        throw new ClientError(413, `Request body must be at most ${MAX_JSON_BODY_BYTES} bytes`);
      },
    }),
  );
  app.onError((error, c) => {
    if (error instanceof ClientError) {
      return c.json(
        { error: error.message, ...(error.fieldErrors && { fieldErrors: error.fieldErrors }) },
        error.status,
        error.headers,
      );
    }
    // Hono's own refusals, such as a Content-Type header too malformed for its JSON validator.
    if (error instanceof HTTPException && error.status < 500) {
      return c.json({ error: error.message }, error.status);
    }
    logger.error("Unhandled error in HTTP route", { error });
    return c.json({ error: "Internal error" }, 500);
  });
  app.notFound(answerUnrouted([app]));
  return app;
};

/** The media type of a Content-Type header, without its parameters, in lower case. */
export const mediaTypeOf = (contentType: string | undefined): string | undefined =>
  contentType?.split(";")[0]?.trim().toLowerCase();

/**
 * Goes before a route that reads a JSON body: refuses non-JSON and compressed bodies with 415 and
 * unparseable JSON with 400, so the route's schema only ever judges a parsed body. In an app of
 * `createServiceApp`, an oversized body never gets this far.
 */
export const acceptJsonBody: MiddlewareHandler = async (c, next) => {
  if (mediaTypeOf(c.req.header("content-type")) !== "application/json") {
    throw new ClientError(415, "Content-Type must be application/json");
  }
  // A compressed body would be read as if it were the JSON itself.
  const encoding = c.req.header("content-encoding")?.trim().toLowerCase();
  if (encoding && encoding !== "identity") {
    throw new ClientError(415, "Content-Encoding must be identity: compressed bodies are not accepted");
  }
  // Read through Hono's body cache, where the route's validator reads it again.
  const text = await c.req.text();
  try {
    JSON.parse(text);
  } catch (cause) {
    throw invalidInput("Request", [{ field: "", message: "is not valid JSON" }], { cause });
  }
  await next();
};

/** Goes before a route whose body is optional: none (no Content-Type, no length) passes; one that is sent must be JSON. */
export const optionalJsonBody: MiddlewareHandler = async (c, next) =>
  c.req.header("content-type") === undefined && !c.req.header("content-length")?.match(/^[1-9]/)
    ? next()
    : acceptJsonBody(c, next);
