import { randomBytes, timingSafeEqual } from "node:crypto";
import { once } from "node:events";
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import S3rver from "s3rver";
import type { EdgeResponse, ReadRequest } from "../edge/types.ts";

/** Carries the secret that tells s3rver's port a request came through the edge. */
const EDGE_SECRET_HEADER = "x-local-edge-secret";

/**
 * Headers the edge does not hand on: the client's signature (the edge has checked it; s3rver would
 * look its key up among its own accounts and refuse it), and those of the connection to the edge.
 */
const NOT_FORWARDED = new Set([
  "authorization",
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "expect",
]);
const NOT_ANSWERED = new Set(["connection", "keep-alive", "transfer-encoding", "date"]);

export class ObjectServerError extends Error {
  override readonly name = "ObjectServerError";
}

/** An object as a listing names it. */
export interface ListedObject {
  key: string;
  lastModified: Date;
  etag: string;
  size: number;
}

export interface ObjectServer {
  /** Creates a bucket's directory; doing so again is harmless. */
  ensureBucket(name: string): Promise<void>;
  isEmpty(name: string): Promise<boolean>;
  /** The bucket's objects in key order, after `startAfter`, `maxKeys` at most; whether more follow. */
  listObjects(
    name: string,
    options: { prefix: string; startAfter: string; maxKeys: number },
  ): Promise<{ objects: ListedObject[]; isTruncated: boolean }>;
  deleteBucket(name: string): Promise<void>;
  /** Hands an object request the edge has authorised to s3rver and answers with s3rver's answer. */
  forward(request: ReadRequest): Promise<EdgeResponse>;
  close(): Promise<void>;
}

const headerRecordOf = (headers: IncomingHttpHeaders): Record<string, string> => {
  const record: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !NOT_ANSWERED.has(name))
      record[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return record;
};

/**
 * s3rver, keeping objects under `directory`, on a private loopback port. A port, not the edge handing
 * requests to its listener in process as it does dynalite's: the S3 handler must first decide with the
 * caller's principal and region (ownership, the bucket's region), which only an edge ServiceHandler is
 * given, and a ServiceHandler answers with a whole response rather than handing on the connection. The
 * port answers only requests carrying a secret made at each start, which only the edge knows: s3rver
 * itself would serve unsigned requests (it does not verify SigV4 signatures at all).
 */
export const startObjectServer = async (directory: string): Promise<ObjectServer> => {
  const s3rver = new S3rver({ directory, silent: true, vhostBuckets: false });
  const secret = randomBytes(32);
  const secretText = secret.toString("base64url");
  const listener = s3rver.callback();
  const server = createServer((request, response) => {
    const given = Buffer.from(String(request.headers[EDGE_SECRET_HEADER] ?? ""), "base64url");
    if (given.length !== secret.length || !timingSafeEqual(given, secret)) {
      response.writeHead(403).end();
      return;
    }
    listener(request, response);
  });
  server.listen(0, "127.0.0.1");
  await Promise.race([
    once(server, "listening"),
    once(server, "error").then(([error]) => Promise.reject(error)),
  ]);
  const { port } = server.address() as AddressInfo;

  const forward = ({ method, path, query, headers, body }: ReadRequest): Promise<EdgeResponse> =>
    new Promise((resolve, reject) => {
      const forwarded: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(headers)) {
        if (value !== undefined && !NOT_FORWARDED.has(name)) forwarded[name] = value;
      }
      const search = query.toString();
      const outgoing = httpRequest(
        {
          host: "127.0.0.1",
          port,
          method,
          path: search ? `${path}?${search}` : path,
          headers: { ...forwarded, "content-length": String(body.length), [EDGE_SECRET_HEADER]: secretText },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => chunks.push(chunk));
          answer.on("error", (cause) =>
            reject(new ObjectServerError("s3rver's answer broke off", { cause })),
          );
          answer.on("end", () =>
            resolve({
              status: answer.statusCode ?? 500,
              headers: headerRecordOf(answer.headers),
              body: Buffer.concat(chunks),
            }),
          );
        },
      );
      outgoing.on("error", (cause) =>
        reject(new ObjectServerError("s3rver could not be reached", { cause })),
      );
      outgoing.end(body);
    });

  return {
    ensureBucket: async (name) => {
      await s3rver.store.putBucket(name);
    },
    isEmpty: async (name) => (await s3rver.store.listObjects(name, { maxKeys: 1 })).objects.length === 0,
    listObjects: async (name, options) => {
      const { objects, isTruncated } = await s3rver.store.listObjects(name, options);
      return {
        objects: objects.map((object) => ({
          key: object.key,
          lastModified: new Date(object.metadata["last-modified"] ?? 0),
          etag: object.metadata.etag ?? "",
          size: object.size,
        })),
        isTruncated,
      };
    },
    deleteBucket: (name) => s3rver.store.deleteBucket(name),
    forward,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => {
          s3rver.logger.close();
          done();
        });
      }),
  };
};
