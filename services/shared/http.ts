import type { Logger } from "@aws-lambda-powertools/logger";
import { type Context, Hono, type NotFoundHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { METHOD_NAME_ALL } from "hono/router";
import type { z } from "zod";
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
 * A Hono app with the policies every service shares: bodies above `MAX_JSON_BODY_BYTES` are refused
 * with 413, 4xx messages pass through as JSON, 5xx details are logged and hidden, and a request no
 * route takes gets a JSON 404 or 405.
 */
export const createServiceApp = (logger: Logger) => {
  const app = new Hono();
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
      );
    }
    logger.error("Unhandled error in HTTP route", { error });
    return c.json({ error: "Internal error" }, 500);
  });
  app.notFound(answerUnrouted([app]));
  return app;
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

/**
 * Reads a JSON body, refusing non-JSON and wrongly typed bodies with a clear 4xx; in an app of
 * `createServiceApp`, an oversized body never gets this far.
 */
/** The media type of a Content-Type header, without its parameters, in lower case. */
export const mediaTypeOf = (contentType: string | undefined): string | undefined =>
  contentType?.split(";")[0]?.trim().toLowerCase();

export const readJsonBody = async (c: Context): Promise<unknown> => {
  if (mediaTypeOf(c.req.header("content-type")) !== "application/json") {
    throw new ClientError(415, "Content-Type must be application/json");
  }
  // A compressed body would be read as if it were the JSON itself.
  const encoding = c.req.header("content-encoding")?.trim().toLowerCase();
  if (encoding && encoding !== "identity") {
    throw new ClientError(415, "Content-Encoding must be identity: compressed bodies are not accepted");
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw invalidInput("Request", [{ field: "", message: "is not valid JSON" }], { cause });
  }
};

/** Parses input with a schema, answering 400 with every field's problem named. */
export const parseOrReject = <S extends z.ZodType>(
  schema: S,
  input: unknown,
  what = "Request",
): z.output<S> => {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidInput(what, fieldErrorsOf(result.error));
};
