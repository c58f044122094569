import { randomUUID } from "node:crypto";
import { IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import { type EdgeResponse, jsonError, type ReadRequest } from "./types.ts";

/** AWS refuses bodies above this; the edge does too rather than buffering without bound. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
}

/** The client went away before its body arrived whole: there is nobody left to answer. */
export class ClientGoneError extends Error {
  override readonly name = "ClientGoneError";
}

/**
 * Reads a request's body whole. Past the limit it stops keeping what arrives but goes on reading, so
 * the 413 sent meanwhile reaches a client still writing instead of being cut off by a reset.
 */
export const readWholeBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        chunks.length = 0;
        reject(new BodyTooLargeError(`Request body exceeds ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", (cause) => reject(new ClientGoneError("The client aborted the request", { cause })));
    request.on("close", () => {
      if (!request.complete) reject(new ClientGoneError("The client closed the connection mid-request"));
    });
  });

/** A 413 that also closes the connection, whose unread rest of the body must not be taken for a request. */
export const bodyTooLargeAnswer = (error: BodyTooLargeError): EdgeResponse => {
  const answer = jsonError(413, "RequestEntityTooLarge", error.message);
  return { ...answer, headers: { ...answer.headers, connection: "close" } };
};

/**
 * The URL of a request's target, or `undefined` when it is none (such as `http://[`). A path is read
 * as a path, never resolved against a base, where `//host/path` would lose its first segments.
 */
export const requestUrlOf = (target = "/"): URL | undefined => {
  try {
    return target.startsWith("/") ? new URL(`http://local${target}`) : new URL(target);
  } catch {
    return undefined;
  }
};

export const invalidTargetAnswer = (): EdgeResponse =>
  jsonError(400, "InvalidRequestException", "The request target is not a valid path");

export const readRequestOf = (request: IncomingMessage, url: URL, body: Buffer): ReadRequest => ({
  method: request.method ?? "GET",
  path: url.pathname,
  query: url.searchParams,
  headers: request.headers,
  body,
});

export const sendAnswer = (response: ServerResponse, answer: EdgeResponse) => {
  if (response.headersSent) return;
  response.writeHead(answer.status, { "x-amzn-requestid": randomUUID(), ...answer.headers });
  response.end(answer.body);
};

/**
 * Hands a request whose body was already read to another server's listener, as if it had just arrived.
 * The server reads a complete body from memory, so a client that aborts or stalls mid-upload reaches
 * only the edge, never a server that would crash or hang on it.
 */
export const replayRequest = (
  listener: RequestListener,
  original: IncomingMessage,
  body: Buffer,
  response: ServerResponse,
) => {
  const replayed = new IncomingMessage(original.socket);
  replayed.method = original.method;
  replayed.url = original.url;
  replayed.httpVersion = original.httpVersion;
  replayed.httpVersionMajor = original.httpVersionMajor;
  replayed.httpVersionMinor = original.httpVersionMinor;
  replayed.headers = original.headers;
  replayed.rawHeaders = original.rawHeaders;
  replayed.push(body);
  replayed.push(null);
  // Else, once read, it counts as cut short and destroys the socket it shares with the original.
  replayed.complete = true;
  listener(replayed, response);
};

export class NoRequestListenerError extends Error {
  override readonly name = "NoRequestListenerError";
}

/** The one request listener a server was created with, to hand requests to it directly. */
export const requestListenerOf = (server: Server): RequestListener => {
  const listeners = server.listeners("request");
  if (listeners.length !== 1) {
    throw new NoRequestListenerError(
      `Expected one request listener on the server, found ${listeners.length}`,
    );
  }
  return listeners[0] as RequestListener;
};

/**
 * A server's listener behind the same guard as the edge's delegated services: bodies read whole first,
 * requests it would mishandle answered by `refuse` instead.
 */
export const guardedListener =
  (listener: RequestListener, refuse: (request: ReadRequest) => EdgeResponse | undefined): RequestListener =>
  (request, response) => {
    readWholeBody(request).then(
      (body) => {
        const url = requestUrlOf(request.url);
        if (!url) return sendAnswer(response, invalidTargetAnswer());
        try {
          const refusal = refuse(readRequestOf(request, url, body));
          if (refusal) sendAnswer(response, refusal);
          else replayRequest(listener, request, body, response);
        } catch (error) {
          console.error("[local] request failed", error);
          sendAnswer(response, jsonError(500, "InternalFailure", "The request could not be processed"));
        }
      },
      (error: unknown) => {
        if (error instanceof BodyTooLargeError) {
          sendAnswer(response, bodyTooLargeAnswer(error));
        }
      },
    );
  };
