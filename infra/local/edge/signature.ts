import { createHash, createHmac, type Hash, type Hmac, timingSafeEqual } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Principal } from "./principals.ts";
import type { ReadRequest } from "./types.ts";

/** SHA-256 (or its HMAC, given a key) as the SDK's signer asks for it: the same hashing its clients sign with. */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(key?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = key === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(key));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

const toBuffer = (data: string | ArrayBuffer | ArrayBufferView): Buffer =>
  typeof data === "string"
    ? Buffer.from(data, "utf8")
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** AWS accepts a request signed at most this long before or after its own clock. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const ALGORITHM = "AWS4-HMAC-SHA256";
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const CREDENTIAL = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;

/** The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` header. */
interface SignedAuthorization {
  accessKeyId: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** Why a request's signature was refused; each AWS protocol words each reason its own way. */
export type SignatureFault =
  | { reason: "missing" }
  | { reason: "incomplete"; message: string }
  | { reason: "unknown-key" }
  | { reason: "mismatch" }
  | { reason: "unsigned-host" }
  | { reason: "expired"; message: string }
  | { reason: "presigned" };

export type SignatureCheck =
  | { ok: true; principal: Principal; region: string; service: string }
  | { ok: false; fault: SignatureFault };

const incomplete = (message: string): SignatureCheck => ({
  ok: false,
  fault: { reason: "incomplete", message },
});

const parseAuthorization = (header: string): SignedAuthorization | string => {
  const [algorithm, ...rest] = header.trim().split(/\s+/);
  if (algorithm !== ALGORITHM) return `Unsupported AWS 'algorithm': '${algorithm ?? ""}'`;
  const parameters = new Map(
    rest
      .join("")
      .split(",")
      .map((part) => {
        const equals = part.indexOf("=");
        return [part.slice(0, equals), part.slice(equals + 1)] as const;
      }),
  );
  const missing = ["Credential", "SignedHeaders", "Signature"].filter((name) => !parameters.get(name));
  if (missing.length > 0) {
    return missing.map((name) => `Authorization header requires '${name}' parameter.`).join(" ");
  }
  const credential = CREDENTIAL.exec(parameters.get("Credential") ?? "");
  if (!credential?.[1] || !credential[3] || !credential[4]) {
    return "Credential should be scoped to a valid region, a service and 'aws4_request'.";
  }
  return {
    accessKeyId: credential[1],
    region: credential[3],
    service: credential[4],
    signedHeaders: (parameters.get("SignedHeaders") ?? "").split(";"),
    signature: parameters.get("Signature") ?? "",
  };
};

const dateOf = (amzDate: string): Date | undefined => {
  const parts = AMZ_DATE.exec(amzDate);
  if (!parts) return undefined;
  const [, year, month, day, hours, minutes, seconds] = parts.map(Number) as number[];
  const date = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day, hours, minutes, seconds));
  return Number.isNaN(date.getTime()) ? undefined : date;
};

const amzDateOf = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");

/** AWS's wording, as `Signature expired: 20240501T114000Z is now earlier than 20240501T114500Z (20240501T120000Z - 15 min.)`. */
const skewFault = (signedAt: Date, now: Date): SignatureFault | undefined => {
  const minutes = MAX_CLOCK_SKEW_MS / 60_000;
  if (signedAt.getTime() < now.getTime() - MAX_CLOCK_SKEW_MS) {
    const earliest = new Date(now.getTime() - MAX_CLOCK_SKEW_MS);
    return {
      reason: "expired",
      message: `Signature expired: ${amzDateOf(signedAt)} is now earlier than ${amzDateOf(earliest)} (${amzDateOf(now)} - ${minutes} min.)`,
    };
  }
  if (signedAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) {
    const latest = new Date(now.getTime() + MAX_CLOCK_SKEW_MS);
    return {
      reason: "expired",
      message: `Signature not yet current: ${amzDateOf(signedAt)} is still later than ${amzDateOf(latest)} (${amzDateOf(now)} + ${minutes} min.)`,
    };
  }
  return undefined;
};

const headerText = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(",") : value);

const queryRecordOf = (query: URLSearchParams): Record<string, string | string[]> => {
  const record: Record<string, string | string[]> = {};
  for (const name of new Set(query.keys())) {
    const values = query.getAll(name);
    record[name] = values.length === 1 ? (values[0] as string) : values;
  }
  return record;
};

/**
 * The signature the signer computes for this request as received: its method, path, query, body and
 * exactly the headers the client says it signed. The payload hash is always the body's own, whatever a
 * signed `x-amz-content-sha256` claims, so a body changed on the way never passes.
 */
const expectedSignature = async (
  request: ReadRequest,
  authorization: SignedAuthorization,
  principal: Principal,
  signedAt: Date,
): Promise<string | undefined> => {
  const headers: Record<string, string> = {};
  for (const name of authorization.signedHeaders) {
    const value =
      name === "x-amz-content-sha256"
        ? createHash("sha256").update(request.body).digest("hex")
        : headerText(request.headers[name]);
    if (value === undefined) return undefined;
    headers[name] = value;
  }
  const signer = new SignatureV4({
    credentials: principal,
    region: authorization.region,
    service: authorization.service,
    sha256: Sha256,
    // The signer must not add a checksum header the client did not sign.
    applyChecksum: false,
    // S3 signs the path as sent, encoded once; every other service encodes it once more.
    uriEscapePath: authorization.service !== "s3",
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: "http:",
      hostname: String(request.headers.host ?? ""),
      path: request.path,
      query: queryRecordOf(request.query),
      headers,
      body: request.body,
    },
    { signingDate: signedAt, signableHeaders: new Set(authorization.signedHeaders) },
  );
  return /Signature=([0-9a-f]+)$/.exec(String(signed.headers.authorization))?.[1];
};

const sameSignature = (expected: string, given: string) => {
  const [a, b] = [Buffer.from(expected), Buffer.from(given)];
  return a.length === b.length && timingSafeEqual(a, b);
};

const isPresigned = (query: URLSearchParams) => query.has("X-Amz-Signature") || query.has("X-Amz-Credential");

/**
 * Checks a request's SigV4 signature as AWS does: a known access key, a date within the clock skew, the
 * host among the signed headers, and the signature the SDK's own signer computes with that key's secret,
 * compared in constant time.
 */
export const verifySignature = async (
  request: ReadRequest,
  principalOf: (accessKeyId: string) => Principal | undefined,
  now: Date,
): Promise<SignatureCheck> => {
  const header = headerText(request.headers.authorization);
  if (!header) {
    return isPresigned(request.query)
      ? { ok: false, fault: { reason: "presigned" } }
      : { ok: false, fault: { reason: "missing" } };
  }
  const authorization = parseAuthorization(header);
  if (typeof authorization === "string") return incomplete(authorization);
  const amzDate = headerText(request.headers["x-amz-date"]);
  const signedAt = amzDate === undefined ? undefined : dateOf(amzDate);
  if (!signedAt) {
    return incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  const principal = principalOf(authorization.accessKeyId);
  if (!principal) return { ok: false, fault: { reason: "unknown-key" } };
  const skew = skewFault(signedAt, now);
  if (skew) return { ok: false, fault: skew };
  // A signature that leaves the host out could be replayed against any other endpoint that knows the key.
  if (!authorization.signedHeaders.some((name) => name.toLowerCase() === "host")) {
    return { ok: false, fault: { reason: "unsigned-host" } };
  }
  const expected = await expectedSignature(request, authorization, principal, signedAt);
  if (!expected || !sameSignature(expected, authorization.signature)) {
    return { ok: false, fault: { reason: "mismatch" } };
  }
  return { ok: true, principal, region: authorization.region, service: authorization.service };
};

export interface RequestToSign {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
}

/** The headers (host included) of a request to the edge signed as `principal` under `scope`. */
export const signedHeadersOf = async (
  principal: Principal,
  { method, url, headers, body }: RequestToSign,
  scope: { region: string; service: string },
): Promise<Record<string, string>> => {
  const signer = new SignatureV4({
    credentials: principal,
    region: scope.region,
    service: scope.service,
    sha256: Sha256,
    uriEscapePath: scope.service !== "s3",
  });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query: queryRecordOf(url.searchParams),
    headers: { ...headers, host: url.host },
    body: body ?? "",
  });
  return signed.headers;
};

/** A request to the edge signed as `principal`, for the local tools that call it without an SDK client. */
export const signedFetch = async (
  principal: Principal,
  url: URL,
  request: Omit<RequestToSign, "url">,
  scope: { region: string; service: string },
): Promise<Response> => {
  // fetch sets the host itself.
  const { host: _, ...headers } = await signedHeadersOf(principal, { ...request, url }, scope);
  return fetch(url, { method: request.method, headers, body: request.body });
};
