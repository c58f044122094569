import type {
  BucketLocationConstraint,
  CreateBucketCommandInput,
  PutBucketEncryptionCommandInput,
  PutBucketLifecycleConfigurationCommandInput,
  PutBucketPolicyCommandInput,
  PutBucketTaggingCommandInput,
  PutBucketVersioningCommandInput,
  PutPublicAccessBlockCommandInput,
  Tag,
} from "@aws-sdk/client-s3";
import { z } from "zod";
import { END_ACTIONS, leasedResourceSchema } from "../../events/lease.ts";
import { acceptedRequestSchema } from "../../events/request.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { s3ResourceSchema } from "../../events/s3-resource.ts";
import { DEPLOYMENT_TAG_KEY } from "../shared/deployment-tag.ts";
import { launcherLeaseSchemasOf } from "../shared/release-checks.ts";

/**
 * The approvals the launcher takes: its subscription routes only bucket requests here, and parsing
 * them as such gives the handler the bucket's fields without a cast.
 */
export const bucketApprovalSchema = RequestApproved.schema.extend({
  request: acceptedRequestSchema.extend({ resource: s3ResourceSchema }),
});

export type BucketApproval = z.output<typeof bucketApprovalSchema>;
export type BucketRequest = BucketApproval["request"];

/** Where the bucket goes: the request's region, or the stack's own for requests from before regions. */
export const bucketRegionOf = (request: BucketRequest, homeRegion: string): string =>
  request.region ?? homeRegion;

/** The partition a region belongs to, as ARNs name it. */
const partitionOf = (region: string): string =>
  region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";

/** A bucket's ARN names no region or account: bucket names are unique across the partition. */
export const bucketArnOf = (bucketName: string, region: string): string =>
  `arn:${partitionOf(region)}:s3:::${bucketName}`;

/** The region S3 creates a bucket in when CreateBucket names none, and refuses to be named in. */
const S3_DEFAULT_REGION = "us-east-1";

/**
 * CreateBucket in the request's region, with ACLs disabled (the bucket owner owns every object), which
 * is also what S3 does by default since 2023: said here so it does not depend on the default.
 */
export const buildCreateBucketInput = (bucketName: string, region: string): CreateBucketCommandInput => ({
  Bucket: bucketName,
  ObjectOwnership: "BucketOwnerEnforced",
  ...(region !== S3_DEFAULT_REGION && {
    CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint },
  }),
});

/** Tag keys put on every bucket; `RequestId` is how the launcher knows a bucket is a request's own. */
export const BUCKET_TAG_KEYS = {
  requestId: "RequestId",
  requester: "Requester",
  approver: "Approver",
  deployment: DEPLOYMENT_TAG_KEY,
} as const;

export const bucketTagsOf = (request: BucketRequest, approver: string, deploymentName: string): Tag[] => [
  { Key: BUCKET_TAG_KEYS.requestId, Value: request.requestId },
  { Key: BUCKET_TAG_KEYS.requester, Value: request.requester.email },
  { Key: BUCKET_TAG_KEYS.approver, Value: approver },
  { Key: BUCKET_TAG_KEYS.deployment, Value: deploymentName },
];

/** Refuses every request that does not come over TLS, to the bucket and to each of its objects. */
export const tlsOnlyPolicyOf = (bucketName: string, region: string) => {
  const arn = bucketArnOf(bucketName, region);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
};

/**
 * Every setting a new bucket gets, each a call that sets it whole, so applying them again changes
 * nothing: a retry applies them all from the first. The tags come first, so that a bucket the
 * launcher created carries its request's id as soon as possible.
 */
export interface BucketConfiguration {
  tagging: PutBucketTaggingCommandInput;
  publicAccessBlock: PutPublicAccessBlockCommandInput;
  encryption: PutBucketEncryptionCommandInput;
  /** Absent when the request wants no versioning: a new bucket is unversioned. */
  versioning?: PutBucketVersioningCommandInput;
  /** Absent when the request keeps objects until they are deleted. */
  lifecycle?: PutBucketLifecycleConfigurationCommandInput;
  policy: PutBucketPolicyCommandInput;
}

export const buildBucketConfiguration = (
  request: BucketRequest,
  approver: string,
  region: string,
  deploymentName: string,
): BucketConfiguration => {
  const { bucketName: Bucket, versioning, encryption, expireObjectsAfterDays } = request.resource;
  return {
    tagging: { Bucket, Tagging: { TagSet: bucketTagsOf(request, approver, deploymentName) } },
    publicAccessBlock: {
      Bucket,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    },
    encryption: {
      Bucket,
      ServerSideEncryptionConfiguration: {
        Rules: [
          encryption === "sse-kms"
            ? // No key id: S3 uses the account's AWS managed key (aws/s3). The bucket key cuts KMS calls.
              { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: true }
            : { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } },
        ],
      },
    },
    ...(versioning && { versioning: { Bucket, VersioningConfiguration: { Status: "Enabled" } } }),
    ...(expireObjectsAfterDays !== undefined && {
      lifecycle: {
        Bucket,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: "expire-objects",
              Status: "Enabled",
              Filter: { Prefix: "" },
              Expiration: { Days: expireObjectsAfterDays },
              // In a versioned bucket expiring an object only hides it behind a delete marker: its
              // older versions are kept until they expire as well, after as many days again.
              ...(versioning && { NoncurrentVersionExpiration: { NoncurrentDays: expireObjectsAfterDays } }),
            },
          ],
        },
      },
    }),
    policy: { Bucket, Policy: JSON.stringify(tlsOnlyPolicyOf(Bucket, region)) },
  };
};

/**
 * Whether a bucket found in this account is the request's own. Its `RequestId` tag decides. An
 * untagged bucket is the request's only when the launcher has already called CreateBucket for it (an
 * attempt that stopped between creating and tagging leaves it so); any other bucket was made by
 * someone else, and is never taken over.
 */
export const isRequestsBucket = (
  tags: Record<string, string>,
  requestId: string,
  createCalled: boolean,
): boolean =>
  tags[BUCKET_TAG_KEYS.requestId] === requestId || (createCalled && Object.keys(tags).length === 0);

/** An error S3 answered with; `code` is absent when the call never got an answer (network, timeout). */
export interface S3Failure {
  code?: string;
  message: string;
}

/**
 * Codes that say this bucket can never be set up as asked: retrying would only fail the same way.
 * `BucketAlreadyExists` is another account's bucket of the same name.
 */
const PERMANENT_ERROR_CODES = new Set([
  "BucketAlreadyExists",
  "InvalidBucketName",
  "IllegalLocationConstraintException",
  "InvalidLocationConstraint",
  "InvalidArgument",
  "InvalidRequest",
  "InvalidTag",
  "MalformedXML",
  "MalformedPolicy",
]);

export type S3ErrorKind = "permanent" | "retryable";

/**
 * Permanent errors fail the request at once. Everything else is retried: throttling (`SlowDown`), S3's
 * 5xx, `OperationAborted` (a conflicting operation on the bucket), network trouble, the bucket quota
 * (`TooManyBuckets`), and `AccessDenied`: the launcher's role may create any bucket intake lets a
 * request name, so a denial is a deployment's permissions to fix, after which an operator redrives the
 * approval from the dead-letter queue rather than the requester asking again.
 */
export const classifyS3Error = ({ code }: S3Failure): S3ErrorKind =>
  code !== undefined && PERMANENT_ERROR_CODES.has(code) ? "permanent" : "retryable";

export const s3RefusalReason = ({ code, message }: S3Failure): string =>
  `S3 refused to set up the bucket (${code ?? "no error code"}): ${message}`;

const takenByAnotherAccountReason = (bucketName: string): string =>
  `Bucket ${bucketName} already exists and belongs to someone else: bucket names are shared by every AWS account, so the request must name another`;

/** Why a request's bucket can never be set up as asked. */
export interface PermanentBucketFailure {
  errorCode?: string;
  reason: string;
}

/** Why CreateBucket's error ends the request for good; undefined when a retry may still succeed. */
export const createRefusalOf = (
  bucketName: string,
  failure: S3Failure,
): PermanentBucketFailure | undefined => {
  if (classifyS3Error(failure) === "retryable") return undefined;
  return {
    errorCode: failure.code,
    reason:
      failure.code === "BucketAlreadyExists"
        ? takenByAnotherAccountReason(bucketName)
        : s3RefusalReason(failure),
  };
};

export const takenInThisAccountReason = (bucketName: string): string =>
  `Bucket ${bucketName} already exists in this AWS account and was not created for this request: it is left as it is`;

export const claimedByAnotherRequestReason = (bucketName: string, otherRequestId: string): string =>
  `Bucket ${bucketName} was already asked for by request ${otherRequestId}: the request must name another`;

/** The leased resource of an S3 request: the subscriptions route only these here. */
export const bucketLeasedResourceSchema = leasedResourceSchema.options[2];

/**
 * `LeaseStarted` or `LeaseExtended`, `ReleaseRequested` and the reaper's checks, of a bucket
 * (services/shared/release-checks.ts).
 */
export const {
  leaseEnd: bucketLeaseChangeSchema,
  release: bucketReleaseSchema,
  check: bucketReleaseCheckSchema,
} = launcherLeaseSchemasOf("s3", bucketLeasedResourceSchema, z.enum(END_ACTIONS.s3));
export type BucketLeaseChange = z.output<typeof bucketLeaseChangeSchema>;
export type BucketRelease = z.output<typeof bucketReleaseSchema>;

/** Why a release kept the bucket: it is deleted only when empty, and the requester and operators are told. */
export const KEPT_PROBLEM = "the bucket holds objects; it was kept";

/** Why a release failed: the bucket still there after the reaper's last check. */
export const stillThereProblem = (bucketName: string, checks: number): string =>
  `Bucket ${bucketName} still exists after ${checks} ${checks === 1 ? "check" : "checks"}`;
