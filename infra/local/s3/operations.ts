import type { IncomingHttpHeaders } from "node:http";

/** What S3 tells an operation by: its method, its path, the names in its query and a few headers. */
export interface S3RequestLine {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

/**
 * The bucket settings the edge keeps itself (s3rver has none of them), by the query parameter that
 * names each: the document a Put sends is the one a Get answers, under the same root element.
 */
export const BUCKET_SETTINGS = {
  publicAccessBlock: { root: "PublicAccessBlockConfiguration", deletable: true },
  encryption: { root: "ServerSideEncryptionConfiguration", deletable: true },
  versioning: { root: "VersioningConfiguration", deletable: false },
  lifecycle: { root: "LifecycleConfiguration", deletable: true },
  // A JSON document, not XML.
  policy: { root: undefined, deletable: true },
  tagging: { root: "Tagging", deletable: true },
} as const;

export type BucketSetting = keyof typeof BUCKET_SETTINGS;

const isBucketSetting = (name: string): name is BucketSetting => Object.hasOwn(BUCKET_SETTINGS, name);

/**
 * Every bucket subresource S3 knows, so a request naming one the local S3 lacks is refused as not
 * implemented instead of being read as ListObjects or CreateBucket.
 */
const OTHER_BUCKET_SUBRESOURCES = [
  "accelerate",
  "acl",
  "analytics",
  "cors",
  "intelligent-tiering",
  "inventory",
  "logging",
  "metadataTable",
  "metrics",
  "notification",
  "object-lock",
  "ownershipControls",
  "policyStatus",
  "replication",
  "requestPayment",
  "uploads",
  "website",
];

export type S3Operation =
  | { kind: "ListBuckets" }
  | { kind: "CreateBucket"; bucket: string }
  | { kind: "HeadBucket"; bucket: string }
  | { kind: "DeleteBucket"; bucket: string }
  | { kind: "GetBucketLocation"; bucket: string }
  | { kind: "ListObjectVersions"; bucket: string }
  | { kind: "setting"; bucket: string; setting: BucketSetting; action: "get" | "put" | "delete" }
  /** Objects and their listing, answered by s3rver; `write` when it changes what the bucket holds. */
  | { kind: "object"; bucket: string; key?: string; write: boolean }
  | { kind: "unsupported"; bucket?: string; what: string }
  /** Refused as S3 reads it, or because s3rver would follow one of its names out of the bucket's directory. */
  | { kind: "invalid"; status: number; code: string; message: string; details?: Record<string, string> };

/**
 * Whether s3rver keeps a key inside its bucket's directory: it joins the key's `/`-separated segments
 * into a file path, where a `.` or `..` segment leads into another bucket or out of DATA_DIR, and the
 * file system takes no NUL. S3 itself takes such keys; the local one refuses them.
 */
export const staysInBucket = (key: string): boolean =>
  !key.includes("\0") && key.split("/").every((segment) => segment !== "." && segment !== "..");

export const unstorableKey = (): Extract<S3Operation, { kind: "invalid" }> => ({
  kind: "invalid",
  status: 400,
  code: "InvalidArgument",
  message: "The local S3 takes no object key with a '.' or '..' segment or a NUL character",
  details: { ArgumentName: "key" },
});

const invalidUri = (): S3Operation => ({
  kind: "invalid",
  status: 400,
  code: "InvalidURI",
  message: "Couldn't parse the specified URI.",
});

/** `decodeURIComponent`, or `undefined` for text that is not percent-encoded UTF-8. */
const decoded = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
};

/** s3rver makes its upload ids as 16 random bytes in hex, and joins them into a directory path. */
const UPLOAD_ID = /^[0-9a-f]{32}$/;
const PART_NUMBER = /^[1-9][0-9]{0,4}$/;

/**
 * The refusal of a multipart call whose upload id or part number is not one S3 could have made:
 * s3rver joins both, as given, into the path of the part it writes and of the directory it removes
 * when the upload completes.
 */
const refusalOfUploadCall = (query: URLSearchParams): S3Operation | undefined => {
  if (!query.has("uploadId")) return undefined;
  const [uploadId, ...more] = query.getAll("uploadId");
  if (more.length > 0 || !UPLOAD_ID.test(uploadId ?? "")) {
    return {
      kind: "invalid",
      status: 404,
      code: "NoSuchUpload",
      message:
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
      details: { UploadId: uploadId ?? "" },
    };
  }
  if (!query.has("partNumber")) return undefined;
  const [partNumber, ...others] = query.getAll("partNumber");
  return others.length === 0 && PART_NUMBER.test(partNumber ?? "") && Number(partNumber) <= 10_000
    ? undefined
    : {
        kind: "invalid",
        status: 400,
        code: "InvalidArgument",
        message: "Part number must be an integer between 1 and 10000, inclusive",
        details: { ArgumentName: "partNumber" },
      };
};

const ACTIONS: Record<string, "get" | "put" | "delete" | undefined> = {
  GET: "get",
  PUT: "put",
  DELETE: "delete",
};

/**
 * Which S3 operation a path-style request is (`/bucket` or `/bucket/key`), as S3 reads its method,
 * path and subresource parameters. Virtual-hosted-style requests do not reach the local edge, whose
 * host check answers only its own host names.
 */
export const s3OperationOf = ({ method, path, query, headers }: S3RequestLine): S3Operation => {
  const [, bucketPart = "", ...keyParts] = path.split("/");
  // Decoded once, as s3rver's router decodes the names it is handed.
  const bucket = decoded(bucketPart);
  const key = decoded(keyParts.join("/"));
  if (bucket === undefined || key === undefined) return invalidUri();
  if (!bucket) {
    return method === "GET" ? { kind: "ListBuckets" } : { kind: "unsupported", what: `${method} /` };
  }
  if (key !== "") {
    if (!staysInBucket(key)) return unstorableKey();
    // s3rver copies from whatever bucket and path the header names, which the edge would have to
    // check as it checks the request's own; the stack never copies objects.
    if (headers["x-amz-copy-source"] !== undefined) {
      return { kind: "unsupported", bucket, what: "x-amz-copy-source (CopyObject, UploadPartCopy)" };
    }
    return (
      refusalOfUploadCall(query) ?? {
        kind: "object",
        bucket,
        key,
        write: method !== "GET" && method !== "HEAD",
      }
    );
  }
  const setting = [...query.keys()].find(isBucketSetting);
  if (setting) {
    const action = ACTIONS[method];
    return action
      ? { kind: "setting", bucket, setting, action }
      : { kind: "unsupported", bucket, what: `${method} ?${setting}` };
  }
  if (query.has("location")) {
    return method === "GET"
      ? { kind: "GetBucketLocation", bucket }
      : { kind: "unsupported", bucket, what: `${method} ?location` };
  }
  if (query.has("versions")) {
    return method === "GET"
      ? { kind: "ListObjectVersions", bucket }
      : { kind: "unsupported", bucket, what: `${method} ?versions` };
  }
  const other = OTHER_BUCKET_SUBRESOURCES.find((name) => query.has(name));
  if (other) return { kind: "unsupported", bucket, what: `?${other}` };
  switch (method) {
    case "PUT":
      return { kind: "CreateBucket", bucket };
    case "HEAD":
      return { kind: "HeadBucket", bucket };
    case "DELETE":
      return { kind: "DeleteBucket", bucket };
    case "GET":
      return { kind: "object", bucket, write: false };
    case "POST":
      // DeleteObjects: `POST /bucket?delete`.
      return query.has("delete")
        ? { kind: "object", bucket, write: true }
        : { kind: "unsupported", bucket, what: "POST" };
    default:
      return { kind: "unsupported", bucket, what: method };
  }
};

/**
 * What a principal outside the stack may do with S3 at the edge: work with objects, read buckets and
 * their settings, and create buckets of its own; changing or deleting a bucket's settings, or the
 * bucket, is the stack's. What the local S3 lacks it may ask for, to be told so. Settings and
 * locations remain their owner's alone (s3-api.ts answers anyone else AccessDenied).
 */
export const outsidersMayCall = (operation: S3Operation): boolean => {
  switch (operation.kind) {
    case "setting":
      return operation.action === "get";
    case "DeleteBucket":
      return false;
    default:
      return true;
  }
};
