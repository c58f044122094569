/** What S3 tells an operation by: its method, its path and the names in its query. */
export interface S3RequestLine {
  method: string;
  path: string;
  query: URLSearchParams;
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
  "versions",
  "website",
];

export type S3Operation =
  | { kind: "ListBuckets" }
  | { kind: "CreateBucket"; bucket: string }
  | { kind: "HeadBucket"; bucket: string }
  | { kind: "DeleteBucket"; bucket: string }
  | { kind: "GetBucketLocation"; bucket: string }
  | { kind: "setting"; bucket: string; setting: BucketSetting; action: "get" | "put" | "delete" }
  /** Objects and their listing, answered by s3rver; `write` when it changes what the bucket holds. */
  | { kind: "object"; bucket: string; key?: string; write: boolean }
  | { kind: "unsupported"; bucket?: string; what: string };

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
export const s3OperationOf = ({ method, path, query }: S3RequestLine): S3Operation => {
  const [, bucketPart = "", ...keyParts] = path.split("/");
  const bucket = decodeURIComponent(bucketPart);
  if (!bucket) {
    return method === "GET" ? { kind: "ListBuckets" } : { kind: "unsupported", what: `${method} /` };
  }
  const key = keyParts.join("/");
  if (key !== "") return { kind: "object", bucket, key, write: method !== "GET" && method !== "HEAD" };
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
 * bucket, is the stack's. What the local S3 lacks it may ask for, to be told so.
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
