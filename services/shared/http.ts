import type { Logger } from "@aws-lambda-powertools/logger";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import { fieldErrorsOf } from "../../events/validation.ts";
import { ClientError } from "./errors.ts";

/** Bodies above this are refused before parsing: no request of the API comes close. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/**
 * An answer sent before the body was read leaves the rest of it on the connection: closing it keeps a
 * client from sending its next request down a socket the server is about to drop.
 */
export const closeAfterEarlyAnswer = (c: Context) => c.header("Connection", "close");

/**
 * A Hono app with the policies every service shares: bodies above `MAX_JSON_BODY_BYTES` are refused
 * with 413, 4xx messages pass through as JSON, 5xx details are logged and hidden.
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
  return app;
};

/**
 * Reads a JSON body, refusing non-JSON and wrongly typed bodies with a clear 4xx; in an app of
 * `createServiceApp`, an oversized body never gets this far.
 */
export const readJsonBody = async (c: Context): Promise<unknown> => {
  const contentType = c.req.header("content-type") ?? "";
  if (!contentType.toLowerCase().startsWith("application/json")) {
    throw new ClientError(415, "Content-Type must be application/json");
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ClientError(
      400,
      "Request body is not valid JSON",
      [{ field: "", message: "is not valid JSON" }],
      {
        cause,
      },
    );
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
  const fieldErrors = fieldErrorsOf(result.error);
  throw new ClientError(
    400,
    `${what} is invalid: ${fieldErrors.map((e) => `${e.field || "(body)"} ${e.message}`).join("; ")}`,
    fieldErrors,
  );
};
