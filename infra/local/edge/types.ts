import type { IncomingHttpHeaders, RequestListener } from "node:http";
import type { Principal } from "./principals.ts";

/** A request the edge has read whole, for services it implements itself (EventBridge, EC2). */
export interface EdgeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Region from the SigV4 credential scope; any region is accepted. */
  region: string;
  /** Who signed the request: the edge has verified the signature with this principal's secret. */
  principal: Principal;
}

export interface EdgeResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** A request read whole, wherever it arrived. */
export type ReadRequest = Omit<EdgeRequest, "region" | "principal">;

/** One AWS service implemented in process, answering in that service's own wire protocol. */
export type ServiceHandler = (request: EdgeRequest) => Promise<EdgeResponse>;

/**
 * One AWS service answered by another local server (dynalite, aws-ses-v2-local) in this process: the
 * edge reads each request whole, then hands it to the server's own listener, no second HTTP hop.
 */
export interface DelegatedService {
  listener: RequestListener;
  /** Answers, as AWS would, a request the server would crash or hang on instead of handing it over. */
  refuse?: (request: ReadRequest) => EdgeResponse | undefined;
}

export type EdgeService = ServiceHandler | DelegatedService;

/** AWS's JSON protocols answer errors as `{__type, message}` with the type in `x-amzn-ErrorType`. */
export const jsonError = (status: number, type: string, message: string): EdgeResponse => ({
  status,
  headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": type },
  body: JSON.stringify({ __type: type, message }),
});
