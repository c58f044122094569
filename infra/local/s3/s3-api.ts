import { createHash } from "node:crypto";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { BUCKET_NAME_RULES } from "../../../events/s3-resource.ts";
import type { EdgeRequest, EdgeResponse, ServiceHandler } from "../edge/types.ts";
import { xmlText } from "../xml.ts";
import { malformedXml, noSuchBucket, S3_XMLNS, s3Answer, s3Error, withoutBody } from "./answers.ts";
import { type BucketRecord, BucketStore, BucketTakenError } from "./bucket-store.ts";
import { type ObjectServer, startObjectServer } from "./object-server.ts";
import {
  BUCKET_SETTINGS,
  type BucketSetting,
  type S3Operation,
  s3OperationOf,
  staysInBucket,
  unstorableKey,
} from "./operations.ts";

/** Reads bodies as S3 does: element text kept as written (no number parsing), attributes ignored. */
const XML_PARSER = new XMLParser({ parseTagValue: false, ignoreAttributes: true, ignoreDeclaration: true });

/** The region S3 calls its default: a bucket there has no LocationConstraint. */
const US_EAST_1 = "us-east-1";

const ENCRYPTION_ALGORITHMS = new Set(["AES256", "aws:kms", "aws:kms:dsse"]);
const VERSIONING_STATES = new Set(["Enabled", "Suspended"]);

/** A parsed document, or `undefined` when the body is not XML whose root is `root`. */
const xmlDocumentOf = (body: string, root: string): Record<string, unknown> | undefined => {
  let parsed: unknown;
  try {
    parsed = XML_PARSER.parse(body, true);
  } catch {
    return undefined;
  }
  const document = (parsed as Record<string, unknown>)?.[root];
  // An empty element parses as "".
  if (document === "") return {};
  return typeof document === "object" && document !== null
    ? (document as Record<string, unknown>)
    : undefined;
};

const textAt = (document: unknown, ...path: string[]): string | undefined => {
  let node = document;
  for (const name of path) {
    // A repeated element parses as a list; S3 applies the first rule's default.
    const current = Array.isArray(node) ? node[0] : node;
    node =
      typeof current === "object" && current !== null
        ? (current as Record<string, unknown>)[name]
        : undefined;
  }
  return typeof node === "string" ? node : undefined;
};

/** S3's canonical user id is 64 hex digits; locally it is derived from the owner's ARN. */
const canonicalIdOf = (arn: string) => createHash("sha256").update(arn).digest("hex");

/** Since 2023 every bucket encrypts with SSE-S3 unless told otherwise, and says so when asked. */
const DEFAULT_ENCRYPTION = `<ServerSideEncryptionConfiguration xmlns="${S3_XMLNS}"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`;

/** What S3 answers for a setting never put: some have a default, the others are "no such" errors. */
const ABSENT_SETTING: Record<BucketSetting, (bucket: string) => EdgeResponse> = {
  publicAccessBlock: (bucket) =>
    s3Error(
      404,
      "NoSuchPublicAccessBlockConfiguration",
      "The public access block configuration was not found",
      {
        BucketName: bucket,
      },
    ),
  encryption: () => s3Answer(200, DEFAULT_ENCRYPTION),
  versioning: () => s3Answer(200, `<VersioningConfiguration xmlns="${S3_XMLNS}"/>`),
  lifecycle: (bucket) =>
    s3Error(404, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", {
      BucketName: bucket,
    }),
  policy: (bucket) =>
    s3Error(404, "NoSuchBucketPolicy", "The bucket policy does not exist", { BucketName: bucket }),
  tagging: (bucket) => s3Error(404, "NoSuchTagSet", "The TagSet does not exist", { BucketName: bucket }),
};

/** The default algorithm a bucket's objects are encrypted with, as its encryption setting names it. */
const encryptionOf = (bucket: BucketRecord) =>
  textAt(
    xmlDocumentOf(bucket.settings.encryption ?? DEFAULT_ENCRYPTION, BUCKET_SETTINGS.encryption.root),
    "Rule",
    "ApplyServerSideEncryptionByDefault",
    "SSEAlgorithm",
  ) ?? "AES256";

/** Why a setting's document is refused, as S3 words it; `undefined` when it is accepted. */
const refusalOfSetting = (setting: BucketSetting, body: string): EdgeResponse | undefined => {
  if (setting === "policy") {
    let policy: unknown;
    try {
      policy = JSON.parse(body);
    } catch {
      policy = undefined;
    }
    return typeof policy === "object" && policy !== null && !Array.isArray(policy)
      ? undefined
      : s3Error(400, "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'");
  }
  const document = xmlDocumentOf(body, BUCKET_SETTINGS[setting].root);
  if (!document) return malformedXml();
  if (setting === "versioning" && !VERSIONING_STATES.has(textAt(document, "Status") ?? ""))
    return malformedXml();
  if (
    setting === "encryption" &&
    !ENCRYPTION_ALGORITHMS.has(
      textAt(document, "Rule", "ApplyServerSideEncryptionByDefault", "SSEAlgorithm") ?? "",
    )
  ) {
    return malformedXml();
  }
  return undefined;
};

const illegalLocation = (constraint: string | undefined) =>
  s3Error(
    400,
    "IllegalLocationConstraintException",
    `The ${constraint ?? "unspecified"} location constraint is incompatible for the region specific endpoint this request was sent to.`,
  );

/**
 * The region a CreateBucket asks for, or S3's refusal: a LocationConstraint must name the region the
 * request is signed for (S3 answers each region at its own endpoint), and us-east-1 takes none.
 */
const regionOfCreate = (request: EdgeRequest): string | EdgeResponse => {
  const body = request.body.toString("utf8").trim();
  let constraint: string | undefined;
  if (body) {
    const configuration = xmlDocumentOf(body, "CreateBucketConfiguration");
    if (!configuration) return malformedXml();
    constraint = textAt(configuration, "LocationConstraint") || undefined;
  }
  if (constraint === US_EAST_1) {
    return s3Error(400, "InvalidLocationConstraint", "The specified location-constraint is not valid", {
      LocationConstraint: constraint,
    });
  }
  if ((constraint ?? US_EAST_1) !== request.region) return illegalLocation(constraint);
  return request.region;
};

/**
 * S3's answer to creating a bucket whose name is taken. By its owner: `BucketAlreadyOwnedByYou`, except
 * in us-east-1, where S3 (for legacy compatibility) answers 200 as if it had created it. By anyone else:
 * `BucketAlreadyExists`, bucket names being global.
 */
const alreadyExists = (existing: BucketRecord, request: EdgeRequest): EdgeResponse => {
  if (existing.ownerArn !== request.principal.arn) {
    return s3Error(
      409,
      "BucketAlreadyExists",
      "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
      { BucketName: existing.name },
    );
  }
  if (existing.region === US_EAST_1 && request.region === US_EAST_1) {
    return s3Answer(200, undefined, { location: `/${existing.name}` });
  }
  return s3Error(
    409,
    "BucketAlreadyOwnedByYou",
    "Your previous request to create the named bucket succeeded and you already own it.",
    { BucketName: existing.name },
  );
};

const invalidBucketName = (bucket: string): EdgeResponse | undefined => {
  const broken = BUCKET_NAME_RULES.find(({ broken }) => broken(bucket));
  return broken
    ? s3Error(400, "InvalidBucketName", `The specified bucket is not valid: a bucket name ${broken.rule}.`, {
        BucketName: bucket,
      })
    : undefined;
};

/**
 * A request signed for another region than the bucket's: S3 answers at each region's endpoint only for
 * that region's buckets, and names the right one so that clients can follow (`x-amz-bucket-region`).
 */
const wrongRegion = (operation: S3Operation, bucket: BucketRecord, request: EdgeRequest): EdgeResponse => {
  const headers = { "x-amz-bucket-region": bucket.region };
  if (operation.kind === "HeadBucket") return s3Error(301, "PermanentRedirect", "", {}, headers);
  return s3Error(
    400,
    "AuthorizationHeaderMalformed",
    `The authorization header is malformed; the region '${request.region}' is wrong; expecting '${bucket.region}'`,
    { Region: bucket.region },
    headers,
  );
};

const refusalOf = ({ status, code, message, details }: Extract<S3Operation, { kind: "invalid" }>) =>
  s3Error(status, code, message, details);

/** Every character but these as a numeric reference: s3rver trims a key, then decodes its references. */
const asKeyText = (key: string) =>
  key.replace(/[^A-Za-z0-9/_.-]/gu, (character) => `&#${character.codePointAt(0)};`);

/**
 * A DeleteObjects as s3rver is to read it, or S3's refusal. s3rver joins the keys of the body into
 * file paths as it does the key of a path: they are checked here, then handed on in a body written
 * anew, in which s3rver reads exactly the keys checked, whatever its XML parser makes of the client's.
 */
const deleteObjectsRequest = (request: EdgeRequest): EdgeRequest | EdgeResponse => {
  const listed = xmlDocumentOf(request.body.toString("utf8"), "Delete")?.Object;
  const keys = listed === undefined ? [] : [listed].flat().map((object) => textAt(object, "Key"));
  if (keys.length === 0 || keys.some((key) => key === undefined)) return malformedXml();
  const checked = keys as string[];
  if (!checked.every(staysInBucket)) return refusalOf(unstorableKey());
  // The checksums the client sent are of its body, not this one.
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter(
      ([name]) => name !== "content-md5" && !name.startsWith("x-amz-checksum-"),
    ),
  );
  const body = `<Delete>${checked.map((key) => `<Object><Key>${asKeyText(key)}</Key></Object>`).join("")}</Delete>`;
  return { ...request, headers, body: Buffer.from(body) };
};

/** Answers a request whose object part s3rver serves, with the bucket's default encryption named as S3 names it. */
const answerObjectCall = async (
  objects: ObjectServer,
  operation: Extract<S3Operation, { kind: "object" }>,
  bucket: BucketRecord,
  request: EdgeRequest,
): Promise<EdgeResponse> => {
  const forwarded =
    request.method === "POST" && operation.key === undefined ? deleteObjectsRequest(request) : request;
  // An answer, not a request: the refusal of the DeleteObjects.
  if ("status" in forwarded) return forwarded;
  const answer = await objects.forward(forwarded);
  const carriesObject =
    operation.key !== undefined &&
    ["GET", "HEAD", "PUT"].includes(request.method) &&
    !request.query.has("tagging") &&
    !request.query.has("acl");
  if (!carriesObject || answer.status >= 300) return answer;
  return { ...answer, headers: { ...answer.headers, "x-amz-server-side-encryption": encryptionOf(bucket) } };
};

/** S3's most keys in one answer of a listing, whatever `max-keys` asks for. */
const MAX_LISTED_KEYS = 1000;

/**
 * ListObjectVersions. The local S3 keeps one version of each object, whatever the bucket's versioning
 * says: each is listed as S3 lists the objects of a bucket never versioned, version `null` and latest,
 * and there are no delete markers.
 */
const listObjectVersions = async (
  objects: ObjectServer,
  bucket: BucketRecord,
  request: EdgeRequest,
): Promise<EdgeResponse> => {
  const prefix = request.query.get("prefix") ?? "";
  const keyMarker = request.query.get("key-marker") ?? "";
  const maxKeysText = request.query.get("max-keys") ?? String(MAX_LISTED_KEYS);
  const maxKeys = Number(maxKeysText);
  if (!/^\d+$/.test(maxKeysText) || maxKeys > 2_147_483_647) {
    return s3Error(400, "InvalidArgument", "Provided max-keys not an integer or within integer range", {
      ArgumentName: "max-keys",
      ArgumentValue: maxKeysText,
    });
  }
  const listed =
    maxKeys === 0
      ? { objects: [], isTruncated: false }
      : await objects.listObjects(bucket.name, {
          prefix,
          startAfter: keyMarker,
          maxKeys: Math.min(maxKeys, MAX_LISTED_KEYS),
        });
  const owner = `<Owner><ID>${canonicalIdOf(bucket.ownerArn)}</ID></Owner>`;
  const versions = listed.objects
    .map(
      (object) =>
        `<Version><Key>${xmlText(object.key)}</Key><VersionId>null</VersionId><IsLatest>true</IsLatest><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>${xmlText(object.etag)}</ETag><Size>${object.size}</Size><StorageClass>STANDARD</StorageClass>${owner}</Version>`,
    )
    .join("");
  const last = listed.objects.at(-1);
  const next =
    listed.isTruncated && last
      ? `<NextKeyMarker>${xmlText(last.key)}</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>`
      : "";
  return s3Answer(
    200,
    `<ListVersionsResult xmlns="${S3_XMLNS}"><Name>${xmlText(bucket.name)}</Name><Prefix>${xmlText(prefix)}</Prefix><KeyMarker>${xmlText(keyMarker)}</KeyMarker><VersionIdMarker></VersionIdMarker><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${listed.isTruncated}</IsTruncated>${next}${versions}</ListVersionsResult>`,
  );
};

const listBuckets = (buckets: BucketStore, request: EdgeRequest): EdgeResponse => {
  const region = request.query.get("bucket-region");
  const prefix = request.query.get("prefix") ?? "";
  const owned = buckets
    .list()
    .filter((bucket) => bucket.ownerArn === request.principal.arn)
    .filter((bucket) => (region ? bucket.region === region : true) && bucket.name.startsWith(prefix))
    .sort((a, b) => a.name.localeCompare(b.name));
  const entries = owned
    .map(
      (bucket) =>
        `<Bucket><Name>${xmlText(bucket.name)}</Name><CreationDate>${new Date(bucket.creationDate).toISOString()}</CreationDate><BucketRegion>${xmlText(bucket.region)}</BucketRegion></Bucket>`,
    )
    .join("");
  const owner = `<Owner><ID>${canonicalIdOf(request.principal.arn)}</ID></Owner>`;
  return s3Answer(
    200,
    `<ListAllMyBucketsResult xmlns="${S3_XMLNS}">${owner}<Buckets>${entries}</Buckets>${prefix ? `<Prefix>${xmlText(prefix)}</Prefix>` : ""}</ListAllMyBucketsResult>`,
  );
};

const createBucket = async (
  buckets: BucketStore,
  objects: ObjectServer,
  bucket: string,
  request: EdgeRequest,
): Promise<EdgeResponse> => {
  const invalid = invalidBucketName(bucket);
  if (invalid) return invalid;
  const region = regionOfCreate(request);
  if (typeof region !== "string") return region;
  const existing = buckets.get(bucket);
  if (existing) return alreadyExists(existing, request);
  try {
    await buckets.create({
      name: bucket,
      ownerArn: request.principal.arn,
      region,
      creationDate: Date.now(),
      settings: {},
    });
  } catch (error) {
    if (error instanceof BucketTakenError) return alreadyExists(error.existing, request);
    throw error;
  }
  // After the record: a crash in between leaves a bucket without its directory, which the next start makes.
  await objects.ensureBucket(bucket);
  return s3Answer(200, undefined, { location: `/${bucket}` });
};

const answerSetting = async (
  buckets: BucketStore,
  { setting, action }: Extract<S3Operation, { kind: "setting" }>,
  bucket: BucketRecord,
  request: EdgeRequest,
): Promise<EdgeResponse> => {
  switch (action) {
    case "get": {
      const document = bucket.settings[setting];
      if (document === undefined) return ABSENT_SETTING[setting](bucket.name);
      return setting === "policy"
        ? s3Answer(200, document, {}, "application/json")
        : s3Answer(200, document.replace(/^<\?xml[^>]*\?>\s*/, ""));
    }
    case "put": {
      const document = request.body.toString("utf8");
      const refusal = refusalOfSetting(setting, document);
      if (refusal) return refusal;
      if (!(await buckets.setSetting(bucket.name, setting, document))) return noSuchBucket(bucket.name);
      return s3Answer(setting === "policy" || setting === "tagging" ? 204 : 200);
    }
    case "delete":
      if (!BUCKET_SETTINGS[setting].deletable) {
        return s3Error(
          405,
          "MethodNotAllowed",
          "The specified method is not allowed against this resource.",
          {
            Method: "DELETE",
            ResourceType: setting.toUpperCase(),
          },
        );
      }
      await buckets.setSetting(bucket.name, setting, undefined);
      return s3Answer(204);
  }
};

const deleteBucket = async (buckets: BucketStore, objects: ObjectServer, bucket: BucketRecord) => {
  if (!(await objects.isEmpty(bucket.name))) {
    return s3Error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty", {
      BucketName: bucket.name,
    });
  }
  await objects.deleteBucket(bucket.name);
  await buckets.delete(bucket.name);
  return s3Answer(204);
};

/**
 * What only a bucket's owner may call: S3 answers anyone else (another account, whom no bucket policy
 * grants these) `AccessDenied`, which is how the s3-launcher tells a bucket is someone else's. Objects
 * stay open to every principal the edge lets in, as to a requester the stack made a bucket for.
 */
const OWNERS_ONLY = new Set<S3Operation["kind"]>(["setting", "DeleteBucket"]);

const accessDenied = () => s3Error(403, "AccessDenied", "Access Denied");

const answer = async (
  buckets: BucketStore,
  objects: ObjectServer,
  request: EdgeRequest,
): Promise<EdgeResponse> => {
  const operation = s3OperationOf(request);
  if (operation.kind === "ListBuckets") return listBuckets(buckets, request);
  if (operation.kind === "unsupported") {
    return s3Error(
      501,
      "NotImplemented",
      `A header or parameter you provided implies functionality the local S3 does not implement (${operation.what})`,
    );
  }
  if (operation.kind === "invalid") return refusalOf(operation);
  if (operation.kind === "CreateBucket") return createBucket(buckets, objects, operation.bucket, request);
  const bucket = buckets.get(operation.bucket);
  if (!bucket) return noSuchBucket(operation.bucket);
  if (operation.kind === "GetBucketLocation") {
    if (bucket.ownerArn !== request.principal.arn) return accessDenied();
    // Answered at any region's endpoint: it is how a client learns where to send the rest.
    const constraint = bucket.region === US_EAST_1 ? "" : xmlText(bucket.region);
    return s3Answer(200, `<LocationConstraint xmlns="${S3_XMLNS}">${constraint}</LocationConstraint>`);
  }
  if (bucket.region !== request.region) return wrongRegion(operation, bucket, request);
  if (OWNERS_ONLY.has(operation.kind) && bucket.ownerArn !== request.principal.arn) return accessDenied();
  switch (operation.kind) {
    case "HeadBucket":
      return s3Answer(200, undefined, { "x-amz-bucket-region": bucket.region });
    case "DeleteBucket":
      return deleteBucket(buckets, objects, bucket);
    case "setting":
      return answerSetting(buckets, operation, bucket, request);
    case "ListObjectVersions":
      return listObjectVersions(objects, bucket, request);
    case "object":
      return answerObjectCall(objects, operation, bucket, request);
  }
};

/**
 * S3 at the edge, path-style. Buckets, their owners, regions and settings are the edge's own durable
 * state (bucket-store.ts); objects and their listing are s3rver's, under `DATA_DIR/s3/objects`. Settings
 * are kept and read back, not enforced: local mode has no TLS, so a policy denying
 * `aws:SecureTransport=false` does not refuse plain HTTP, and the public access block is state only.
 * Versioning is recorded, but objects keep one version each (ListObjectVersions lists that one).
 */
export const createS3Api =
  (buckets: BucketStore, objects: ObjectServer): ServiceHandler =>
  async (request) => {
    const result = await answer(buckets, objects, request);
    // S3 answers a HEAD with the status (and headers) alone.
    return request.method === "HEAD" ? withoutBody(result) : result;
  };

export interface LocalS3 {
  api: ServiceHandler;
  close(): Promise<void>;
}

/** The local S3 under `DATA_DIR/s3`: every recorded bucket has its directory before the first request. */
export const startLocalS3 = async (dataDir: string): Promise<LocalS3> => {
  const directory = join(dataDir, "s3");
  const buckets = await BucketStore.open(directory);
  const objects = await startObjectServer(join(directory, "objects"));
  try {
    for (const bucket of buckets.list()) await objects.ensureBucket(bucket.name);
  } catch (error) {
    await objects.close();
    throw error;
  }
  return { api: createS3Api(buckets, objects), close: objects.close };
};
