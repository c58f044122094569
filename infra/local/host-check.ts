import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Against DNS rebinding: a page of another site can resolve its own name to this machine, and the
 * browser then lets it read what a local server answers, sending that name as Host. Every local
 * server answers only to the names a visitor of this stack uses: loopback's and PUBLIC_URL's.
 */
export type AllowedHosts = ReadonlySet<string>;

/** URL's spelling of each loopback name: it keeps IPv6 addresses bracketed. */
const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

/** Loopback's names, and PUBLIC_URL's host when the stack has one. */
export const allowedHostsOf = (publicUrl?: string): AllowedHosts =>
  new Set(publicUrl ? [...LOOPBACK_HOSTS, new URL(publicUrl).hostname] : LOOPBACK_HOSTS);

/** Whether a Host header names an allowed host, on any port; a missing or malformed one does not. */
export const isAllowedHost = (host: string | undefined, allowed: AllowedHosts): boolean => {
  if (!host) return false;
  try {
    return allowed.has(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
};

/** 421 Misdirected Request: the request reached a server that does not answer for that host. */
export const MISDIRECTED_STATUS = 421;

export const misdirectedBody = (allowed: AllowedHosts) => ({
  error: "misdirected_request",
  error_description: `This server answers only to ${[...allowed].join(", ")}`,
});

/**
 * For a node:http server, called first thing for every request: answers 421 to a request for another
 * host and says so, so the caller stops there.
 */
export const refusedAsMisdirected = (
  request: IncomingMessage,
  response: ServerResponse,
  allowed: AllowedHosts,
): boolean => {
  if (isAllowedHost(request.headers.host, allowed)) return false;
  response
    .writeHead(MISDIRECTED_STATUS, { "Content-Type": "application/json" })
    .end(JSON.stringify(misdirectedBody(allowed)));
  return true;
};
