import type { IncomingHttpHeaders, Server } from "node:http";

/** A request the edge has read whole, for services it implements itself (EventBridge, EC2). */
export interface EdgeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Region from the SigV4 credential scope; any region is accepted. */
  region: string;
}

export interface EdgeResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** One AWS service implemented in process, answering in that service's own wire protocol. */
export type ServiceHandler = (request: EdgeRequest) => Promise<EdgeResponse>;

/** One AWS service answered by another local server (dynalite, aws-ses-v2-local) in this process. */
export interface DelegatedService {
  dispatchTo: Server;
}

export type EdgeService = ServiceHandler | DelegatedService;

/** AWS's JSON protocols answer errors as `{__type, message}` with the type in `x-amzn-ErrorType`. */
export const jsonError = (status: number, type: string, message: string): EdgeResponse => ({
  status,
  headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": type },
  body: JSON.stringify({ __type: type, message }),
});
