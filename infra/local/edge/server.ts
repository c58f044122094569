import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { allowedHostsOf, refusedAsMisdirected } from "../host-check.ts";
import { accessRefusal, signatureRefusal } from "./auth-refusals.ts";
import {
  BodyTooLargeError,
  bodyTooLargeAnswer,
  ClientGoneError,
  invalidTargetAnswer,
  readRequestOf,
  readWholeBody,
  replayRequest,
  requestUrlOf,
  sendAnswer,
} from "./delegation.ts";
import { mayCall, type Principal } from "./principals.ts";
import { verifySignature } from "./signature.ts";
import { type EdgeResponse, type EdgeService, jsonError, type ReadRequest } from "./types.ts";

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

export interface EdgeOptions {
  port: number;
  host?: string;
  /** Keyed by the service name of the SigV4 credential scope: events, ec2, dynamodb, ses, scheduler. */
  services: Record<string, EdgeService>;
  /** Everyone whose signatures the edge accepts; any other access key is refused as AWS refuses it. */
  principals: readonly Principal[];
  /**
   * Non-AWS paths the local runtime serves on the edge (dead letters), tried first, with the principal
   * whose signature the request carries, if it carries a valid one: each route decides whom it serves.
   */
  localRoutes?: (request: ReadRequest, caller: Principal | undefined) => Promise<EdgeResponse | undefined>;
  /** Its host is answered besides loopback's (see host-check.ts). */
  publicUrl?: string;
}

export interface RunningEdge {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/**
 * One AWS-compatible endpoint, as LocalStack's on port 4566: the service is chosen by the credential
 * scope of the request's SigV4 signature, in any region. Unlike LocalStack's, the signature must be
 * valid: made with the secret of a principal the edge knows, within AWS's clock skew.
 */
export const startEdge = async ({
  port,
  host = "127.0.0.1",
  services,
  principals,
  localRoutes,
  publicUrl,
}: EdgeOptions): Promise<RunningEdge> => {
  const allowedHosts = allowedHostsOf(publicUrl);
  const principalsByKey = new Map(principals.map((principal) => [principal.accessKeyId, principal]));
  const server = createServer((request, response) => {
    if (refusedAsMisdirected(request, response, allowedHosts)) return;
    const answer = async (): Promise<EdgeResponse | undefined> => {
      const url = requestUrlOf(request.url);
      if (!url) return invalidTargetAnswer();
      let body: Buffer;
      try {
        body = await readWholeBody(request);
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          return bodyTooLargeAnswer(error);
        }
        throw error;
      }
      const read = readRequestOf(request, url, body);
      const signature = await verifySignature(read, (key) => principalsByKey.get(key), new Date());
      const local = await localRoutes?.(read, signature.ok ? signature.principal : undefined);
      if (local) return local;
      const scope = credentialScopeOf(request.headers, url.searchParams);
      if (!scope) {
        return jsonError(
          403,
          "MissingAuthenticationTokenException",
          "Request is missing a SigV4 Authorization header",
        );
      }
      // Own entries only: a scope naming `constructor` or `toString` is no service.
      const service = Object.hasOwn(services, scope.service) ? services[scope.service] : undefined;
      if (!service) {
        return jsonError(
          400,
          "UnknownServiceException",
          `The local edge does not serve the '${scope.service}' service`,
        );
      }
      if (!signature.ok) return signatureRefusal(signature.fault, scope.service, read);
      if (!mayCall(signature.principal, scope.service, read)) {
        return accessRefusal(signature.principal.arn, scope.service, read);
      }
      if (typeof service === "function") {
        return service({ ...read, region: scope.region, principal: signature.principal });
      }
      const refusal = service.refuse?.(read);
      if (refusal) return refusal;
      replayRequest(service.listener, request, body, response);
      return undefined;
    };
    answer().then(
      (result) => result && sendAnswer(response, result),
      (error: unknown) => {
        if (error instanceof ClientGoneError) return;
        console.error("[edge] request failed", error);
        sendAnswer(
          response,
          jsonError(500, "InternalFailure", "The local edge failed to process the request"),
        );
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
