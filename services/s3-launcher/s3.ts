import {
  CreateBucketCommand,
  type CreateBucketCommandInput,
  GetBucketTaggingCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
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
  createS3Gateway(new S3Client({ region, ...s3ClientSettings })),
);
