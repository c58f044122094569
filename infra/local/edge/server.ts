import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type EdgeResponse, type EdgeService, jsonError, type ServiceHandler } from "./types.ts";

/** AWS refuses bodies above this; the edge does too rather than buffering without bound. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

const CREDENTIAL_IN_HEADER = /Credential=[^/,\s]+\/\d{8}\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;
const CREDENTIAL_IN_QUERY = /^[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request$/;

export interface CredentialScope {
  region: string;
  service: string;
}

/** The region and service named in a SigV4 signature, from the header or a presigned query. */
export const credentialScopeOf = (
  headers: IncomingMessage["headers"],
  query: URLSearchParams,
): CredentialScope | undefined => {
  const header = headers.authorization;
  const match = header
    ? CREDENTIAL_IN_HEADER.exec(header)
    : CREDENTIAL_IN_QUERY.exec(query.get("X-Amz-Credential") ?? "");
  if (!match?.[1] || !match[2]) return undefined;
  return { region: match[1], service: match[2] };
};

class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
}

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError(`Request body exceeds ${MAX_BODY_BYTES} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });

const send = (response: ServerResponse, answer: EdgeResponse) => {
  if (response.headersSent) return;
  response.writeHead(answer.status, { "x-amzn-requestid": randomUUID(), ...answer.headers });
  response.end(answer.body);
};

const answerInProcess = async (
  request: IncomingMessage,
  url: URL,
  scope: CredentialScope,
  handler: ServiceHandler,
): Promise<EdgeResponse> => {
  let body: Buffer;
  try {
    body = await readBody(request);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return jsonError(413, "RequestEntityTooLarge", error.message);
    throw error;
  }
  return handler({
    method: request.method ?? "GET",
    path: url.pathname,
    query: url.searchParams,
    headers: request.headers,
    body,
    region: scope.region,
  });
};

export interface EdgeOptions {
  port: number;
  host?: string;
  /** Keyed by the service name of the SigV4 credential scope: events, ec2, dynamodb, ses. */
  services: Record<string, EdgeService>;
  /** Non-AWS paths the local runtime serves on the edge (health, dead letters), tried first. */
  localRoutes?: (request: IncomingMessage, url: URL) => Promise<EdgeResponse | undefined>;
}

export interface RunningEdge {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/**
 * One AWS-compatible endpoint, as LocalStack's on port 4566: the service is chosen by the credential
 * scope of the request's SigV4 signature, and any credentials and region are accepted.
 */
export const startEdge = async ({
  port,
  host = "127.0.0.1",
  services,
  localRoutes,
}: EdgeOptions): Promise<RunningEdge> => {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://edge.local");
    const answer = async (): Promise<EdgeResponse | undefined> => {
      const local = await localRoutes?.(request, url);
      if (local) return local;
      const scope = credentialScopeOf(request.headers, url.searchParams);
      if (!scope) {
        return jsonError(
          403,
          "MissingAuthenticationTokenException",
          "Request is missing a SigV4 Authorization header",
        );
      }
      const service = services[scope.service];
      if (!service) {
        return jsonError(
          400,
          "UnknownServiceException",
          `The local edge does not serve the '${scope.service}' service`,
        );
      }
      if (typeof service !== "function") {
        // Handed over unread: the server answers on the same connection, with no second HTTP hop.
        service.dispatchTo.emit("request", request, response);
        return undefined;
      }
      return answerInProcess(request, url, scope, service);
    };
    answer().then(
      (result) => result && send(response, result),
      (error: unknown) => {
        console.error("[edge] request failed", error);
        send(response, jsonError(500, "InternalFailure", "The local edge failed to process the request"));
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host === "0.0.0.0" || host === "::" ? "localhost" : host}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
