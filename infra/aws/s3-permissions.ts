import { Stack } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IConstruct } from "constructs";
import type { ExplainedStatement } from "./nag.ts";

export interface BucketLaunchSettings {
  /** The regions requests may use. */
  regions: readonly string[];
  /** Every bucket a request may ask for starts with it (intake refuses other names). */
  bucketNamePrefix: string;
}

/**
 * What creating a request's bucket takes, and no more: create it (with object ownership enforced),
 * block public access, encrypt, version, expire, put the TLS-only policy and the tags, read its tags
 * back (a retry that finds the bucket checks it is its own). Nothing reads or writes objects, lists
 * buckets, or deletes anything.
 */
export const S3_CREATE_ACTIONS = [
  "s3:CreateBucket",
  "s3:PutBucketOwnershipControls",
  "s3:PutBucketPublicAccessBlock",
  "s3:PutEncryptionConfiguration",
  "s3:PutBucketVersioning",
  "s3:PutLifecycleConfiguration",
  "s3:PutBucketPolicy",
  "s3:PutBucketTagging",
  "s3:GetBucketTagging",
] as const;

/**
 * What releasing a bucket at the end of its lease takes, and no more: tag it `ExpiresAt` keeping its
 * other tags (read them, put them back), see whether it holds any object or version (ListBucket also
 * answers HeadBucket), and delete it, which S3 does only when it is empty. Nothing reads, writes or
 * deletes objects: a bucket that holds any is kept.
 */
export const S3_RELEASE_ACTIONS = [
  "s3:GetBucketTagging",
  "s3:PutBucketTagging",
  "s3:ListBucket",
  "s3:ListBucketVersions",
  "s3:DeleteBucket",
] as const;

/** The buckets a request may name: every one starts with the deployment's prefix. */
const prefixedBuckets = (scope: IConstruct, bucketNamePrefix: string) => [
  Stack.of(scope).formatArn({ service: "s3", region: "", account: "", resource: `${bucketNamePrefix}*` }),
];

const prefixReason = (bucketNamePrefix: string) =>
  `Buckets are named by requests; every name starts with the deployment's prefix (${bucketNamePrefix}), which intake enforces`;

/**
 * The create actions on buckets named with the deployment's prefix, and CreateBucket only in the
 * allowed regions. A bucket is created where its LocationConstraint says; one of us-east-1 has none
 * and is created at that region's endpoint, so a constraint, when given, must be allowed, and the
 * region the call is sent to must be allowed in any case.
 */
export const s3CreateStatements = (
  scope: IConstruct,
  settings: BucketLaunchSettings,
): ExplainedStatement[] => {
  const buckets = prefixedBuckets(scope, settings.bucketNamePrefix);
  const reason = prefixReason(settings.bucketNamePrefix);
  return [
    {
      statement: new PolicyStatement({
        sid: "CreatePrefixedBucketsInTheAllowedRegions",
        actions: ["s3:CreateBucket"],
        resources: buckets,
        conditions: {
          StringEqualsIfExists: { "s3:LocationConstraint": [...settings.regions] },
          StringEquals: { "aws:RequestedRegion": [...settings.regions] },
        },
      }),
      wildcardReason: reason,
    },
    {
      statement: new PolicyStatement({
        sid: "ConfigurePrefixedBuckets",
        actions: S3_CREATE_ACTIONS.filter((action) => action !== "s3:CreateBucket"),
        resources: buckets,
      }),
      wildcardReason: reason,
    },
  ];
};

/** The release actions on buckets named with the deployment's prefix only. */
export const s3ReleaseStatements = (
  scope: IConstruct,
  { bucketNamePrefix }: Pick<BucketLaunchSettings, "bucketNamePrefix">,
): ExplainedStatement[] => [
  {
    statement: new PolicyStatement({
      sid: "ReleasePrefixedBuckets",
      actions: [...S3_RELEASE_ACTIONS],
      resources: prefixedBuckets(scope, bucketNamePrefix),
    }),
    wildcardReason: prefixReason(bucketNamePrefix),
  },
];
