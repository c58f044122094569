import {
  CreateBucketCommand,
  type CreateBucketCommandInput,
  DeleteBucketCommand,
  GetBucketTaggingCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { traced } from "../shared/observability.ts";
import { clientPerRegion } from "../shared/regional-clients.ts";
import { s3ClientSettings } from "./config.ts";
import type { BucketConfiguration, S3Failure } from "./domain.ts";

/** What S3 lets the launcher see of a bucket name before or after creating it. */
export type BucketProbe =
  /** No bucket has the name. */
  | { state: "absent" }
  /** A bucket of this account, in this region, with these tags (none for an untagged one). */
  | { state: "readable"; tags: Record<string, string> }
  /** A bucket exists, but not one the launcher may read here: another account's, or in another region. */
  | { state: "unreadable"; code: string };

/**
 * What a bucket holds, as far as deleting it goes. A versioned bucket's older versions and delete
 * markers count as objects: S3 refuses to delete a bucket that has any, and they are data the
 * requester may still want (a delete marker hides an object, it does not remove it).
 */
export type BucketContents = "empty" | "holds-objects" | "absent";

export type DeleteBucketResult = "deleted" | "not-empty" | "absent";

/** Answers of GetBucketTagging that mean the bucket exists and is not readable from here. */
const UNREADABLE_CODES = new Set(["AccessDenied", "PermanentRedirect", "AuthorizationHeaderMalformed"]);

const isS3Error = (error: unknown, code: string): error is S3ServiceException =>
  error instanceof S3ServiceException && error.name === code;

/** What the launcher reads out of an error thrown by a call below. */
export const s3FailureOf = (error: unknown): S3Failure =>
  error instanceof S3ServiceException
    ? { code: error.name, message: error.message }
    : { message: error instanceof Error ? error.message : String(error) };

/** The S3 calls the launcher makes in one region, through the real SDK client. */
export const createS3Gateway = (client: S3Client) => ({
  createBucket: async (input: CreateBucketCommandInput): Promise<void> => {
    await client.send(new CreateBucketCommand(input));
  },

  probeBucket: async (bucketName: string): Promise<BucketProbe> => {
    try {
      const { TagSet = [] } = await client.send(new GetBucketTaggingCommand({ Bucket: bucketName }));
      return {
        state: "readable",
        tags: Object.fromEntries(TagSet.map((tag) => [tag.Key ?? "", tag.Value ?? ""])),
      };
    } catch (error) {
      if (isS3Error(error, "NoSuchTagSet")) return { state: "readable", tags: {} };
      if (isS3Error(error, "NoSuchBucket")) return { state: "absent" };
      if (error instanceof S3ServiceException && UNREADABLE_CODES.has(error.name))
        return { state: "unreadable", code: error.name };
      throw error;
    }
  },

  /** Replaces the bucket's tags with these. */
  putTags: async (bucketName: string, tags: Record<string, string>): Promise<void> => {
    const TagSet = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    await client.send(new PutBucketTaggingCommand({ Bucket: bucketName, Tagging: { TagSet } }));
  },

  /** Whether the bucket holds anything: a current object, or (versioned) any version or delete marker. */
  contentsOf: async (bucketName: string): Promise<BucketContents> => {
    try {
      const current = await client.send(new ListObjectsV2Command({ Bucket: bucketName, MaxKeys: 1 }));
      if ((current.KeyCount ?? current.Contents?.length ?? 0) > 0) return "holds-objects";
      const versions = await client.send(new ListObjectVersionsCommand({ Bucket: bucketName, MaxKeys: 1 }));
      const held = (versions.Versions?.length ?? 0) + (versions.DeleteMarkers?.length ?? 0);
      return held > 0 ? "holds-objects" : "empty";
    } catch (error) {
      if (isS3Error(error, "NoSuchBucket")) return "absent";
      throw error;
    }
  },

  deleteBucket: async (bucketName: string): Promise<DeleteBucketResult> => {
    try {
      await client.send(new DeleteBucketCommand({ Bucket: bucketName }));
      return "deleted";
    } catch (error) {
      if (isS3Error(error, "BucketNotEmpty")) return "not-empty";
      if (isS3Error(error, "NoSuchBucket")) return "absent";
      throw error;
    }
  },

  /** Whether the bucket still exists: S3 answers a HEAD of one it does not know 404, without a code. */
  bucketExists: async (bucketName: string): Promise<boolean> => {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucketName }));
      return true;
    } catch (error) {
      if (isS3Error(error, "NotFound") || isS3Error(error, "NoSuchBucket")) return false;
      throw error;
    }
  },

  /** Applies each setting in turn, tags first; stops at the first call that fails. */
  configure: async (configuration: BucketConfiguration): Promise<void> => {
    const { tagging, publicAccessBlock, encryption, versioning, lifecycle, policy } = configuration;
    await client.send(new PutBucketTaggingCommand(tagging));
    await client.send(new PutPublicAccessBlockCommand(publicAccessBlock));
    await client.send(new PutBucketEncryptionCommand(encryption));
    if (versioning) await client.send(new PutBucketVersioningCommand(versioning));
    if (lifecycle) await client.send(new PutBucketLifecycleConfigurationCommand(lifecycle));
    await client.send(new PutBucketPolicyCommand(policy));
  },
});

export type S3Gateway = ReturnType<typeof createS3Gateway>;

/** The gateway of each region the launcher creates buckets in. */
export const s3GatewayIn = clientPerRegion((region) =>
  createS3Gateway(traced(new S3Client({ region, ...s3ClientSettings }))),
);
