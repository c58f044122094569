import { describe, expect, it } from "vitest";
import { RequestApproved } from "../../events/request-approved.ts";
import { sampleBucketRequest, sampleRequest } from "../../test/support/fixtures.ts";
import {
  bucketApprovalSchema,
  bucketArnOf,
  bucketRegionOf,
  bucketReleaseCheckSchema,
  bucketReleaseSchema,
  buildBucketConfiguration,
  buildCreateBucketInput,
  classifyS3Error,
  createRefusalOf,
  isRequestsBucket,
  stillThereProblem,
  tlsOnlyPolicyOf,
} from "./domain.ts";

const approvalOf = (request: unknown) => ({
  requestId: "req-bucket-1",
  request,
  approver: "bob@example.com",
  decidedAt: "2030-01-01T10:00:00.000Z",
});

const bucketRequest = (resource: Partial<ReturnType<typeof sampleBucketRequest>["resource"]> = {}) => {
  const request = sampleBucketRequest();
  return { ...request, resource: { ...request.resource, ...resource } };
};

const TAGS = [
  { Key: "RequestId", Value: "req-bucket-1" },
  { Key: "Requester", Value: "ana@example.com" },
  { Key: "Approver", Value: "bob@example.com" },
  { Key: "approvals:stack", Value: "approvals-prod" },
];

describe("bucketApprovalSchema", () => {
  it("takes an approval of a bucket request, filling in the bucket's defaults", () => {
    const { versioning: _, encryption: __, ...asSubmitted } = sampleBucketRequest().resource;

    const approval = bucketApprovalSchema.parse(
      approvalOf({ ...sampleBucketRequest(), resource: asSubmitted }),
    );

    expect(approval.request.resource).toEqual({
      type: "s3",
      bucketName: "approvals-team-logs",
      versioning: true,
      encryption: "sse-s3",
    });
  });

  it("refuses an approval of another resource type, which RequestApproved itself allows", () => {
    const ec2Approval = approvalOf(sampleRequest());

    expect(RequestApproved.schema.safeParse(ec2Approval).success).toBe(true);
    expect(bucketApprovalSchema.safeParse(ec2Approval).success).toBe(false);
  });
});

describe("where the bucket goes", () => {
  it("is the request's region, or the stack's own when the request names none", () => {
    const { region: _, ...regionless } = sampleBucketRequest();

    expect(bucketRegionOf(sampleBucketRequest({ region: "eu-west-1" }), "us-east-1")).toBe("eu-west-1");
    expect(bucketRegionOf(regionless, "us-east-2")).toBe("us-east-2");
  });

  it.each([
    ["eu-west-1", "arn:aws:s3:::approvals-logs"],
    ["us-gov-west-1", "arn:aws-us-gov:s3:::approvals-logs"],
    ["cn-north-1", "arn:aws-cn:s3:::approvals-logs"],
  ])("in %s, the bucket's ARN is %s", (region, arn) => {
    expect(bucketArnOf("approvals-logs", region)).toBe(arn);
  });
});

describe("buildCreateBucketInput", () => {
  it("names the region as the location constraint, with ACLs disabled", () => {
    expect(buildCreateBucketInput("approvals-logs", "eu-west-1")).toStrictEqual({
      Bucket: "approvals-logs",
      ObjectOwnership: "BucketOwnerEnforced",
      CreateBucketConfiguration: { LocationConstraint: "eu-west-1" },
    });
  });

  it("names no location in us-east-1, which S3 refuses as a constraint", () => {
    expect(buildCreateBucketInput("approvals-logs", "us-east-1")).toStrictEqual({
      Bucket: "approvals-logs",
      ObjectOwnership: "BucketOwnerEnforced",
    });
  });
});

describe("tlsOnlyPolicyOf", () => {
  it("denies every action over plain HTTP, on the bucket and on its objects", () => {
    const [statement, ...others] = tlsOnlyPolicyOf("approvals-logs", "eu-west-1").Statement;

    expect(others).toEqual([]);
    expect(statement).toMatchObject({
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    expect(statement?.Resource).toEqual(["arn:aws:s3:::approvals-logs", "arn:aws:s3:::approvals-logs/*"]);
  });
});

describe("buildBucketConfiguration", () => {
  it("sets up a versioned bucket with SSE-S3 and no expiry: tags, public access blocked, encryption, versioning, TLS only", () => {
    const configuration = buildBucketConfiguration(
      bucketRequest(),
      "bob@example.com",
      "us-east-1",
      "approvals-prod",
    );

    // No lifecycle: without an expiry the objects are kept until deleted.
    expect(Object.keys(configuration).sort()).toEqual([
      "encryption",
      "policy",
      "publicAccessBlock",
      "tagging",
      "versioning",
    ]);
    expect(new Set(Object.values(configuration).map((input) => input.Bucket))).toEqual(
      new Set(["approvals-team-logs"]),
    );
    expect(configuration.tagging.Tagging?.TagSet).toEqual(TAGS);
    // Every one of S3's four blocks is on: no ACL or policy can make the bucket or an object public.
    const blocks = configuration.publicAccessBlock.PublicAccessBlockConfiguration ?? {};
    expect(Object.values(blocks)).toEqual([true, true, true, true]);
    expect(
      configuration.encryption.ServerSideEncryptionConfiguration?.Rules?.map(
        (rule) => rule.ApplyServerSideEncryptionByDefault,
      ),
    ).toStrictEqual([{ SSEAlgorithm: "AES256" }]);
    expect(configuration.versioning?.VersioningConfiguration?.Status).toBe("Enabled");
    expect(JSON.parse(configuration.policy.Policy ?? "")).toEqual(
      tlsOnlyPolicyOf("approvals-team-logs", "us-east-1"),
    );
  });

  it("encrypts with the AWS managed KMS key and a bucket key for SSE-KMS", () => {
    const { encryption } = buildBucketConfiguration(
      bucketRequest({ encryption: "sse-kms" }),
      "bob@example.com",
      "us-east-1",
      "approvals-prod",
    );

    expect(encryption.ServerSideEncryptionConfiguration).toStrictEqual({
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: true }],
    });
  });

  it("leaves an unversioned bucket unversioned", () => {
    const configuration = buildBucketConfiguration(
      bucketRequest({ versioning: false }),
      "bob@example.com",
      "us-east-1",
      "approvals-prod",
    );

    expect(configuration).not.toHaveProperty("versioning");
    expect(configuration).not.toHaveProperty("lifecycle");
  });

  it("expires the objects of an unversioned bucket after the days asked", () => {
    const { lifecycle } = buildBucketConfiguration(
      bucketRequest({ versioning: false, expireObjectsAfterDays: 30 }),
      "bob@example.com",
      "us-east-1",
      "approvals-prod",
    );

    expect(lifecycle).toStrictEqual({
      Bucket: "approvals-team-logs",
      LifecycleConfiguration: {
        Rules: [
          { ID: "expire-objects", Status: "Enabled", Filter: { Prefix: "" }, Expiration: { Days: 30 } },
        ],
      },
    });
  });

  it("expires the older versions of a versioned bucket's objects too", () => {
    const { lifecycle } = buildBucketConfiguration(
      bucketRequest({ expireObjectsAfterDays: 7 }),
      "bob@example.com",
      "us-east-1",
      "approvals-prod",
    );

    expect(lifecycle?.LifecycleConfiguration?.Rules).toStrictEqual([
      {
        ID: "expire-objects",
        Status: "Enabled",
        Filter: { Prefix: "" },
        Expiration: { Days: 7 },
        NoncurrentVersionExpiration: { NoncurrentDays: 7 },
      },
    ]);
  });
});

describe("isRequestsBucket", () => {
  it.each([
    ["tagged with the request's id", true, { RequestId: "req-1", Requester: "ana@example.com" }, false],
    ["tagged with another request's id", false, { RequestId: "req-2" }, true],
    ["tagged by someone else, without a request id", false, { Team: "payments" }, true],
    ["untagged, after the launcher called CreateBucket for the request", true, {}, true],
    ["untagged, before the launcher ever called CreateBucket for the request", false, {}, false],
  ])("a bucket %s is the request's own: %s", (_, ours, tags, createCalled) => {
    expect(isRequestsBucket(tags, "req-1", createCalled)).toBe(ours);
  });
});

describe("classifyS3Error", () => {
  it.each([
    "BucketAlreadyExists",
    "InvalidBucketName",
    "IllegalLocationConstraintException",
    "InvalidLocationConstraint",
    "MalformedPolicy",
    "InvalidArgument",
  ])("fails the request for good on %s", (code) => {
    expect(classifyS3Error({ code, message: "refused" })).toBe("permanent");
  });

  it.each([
    "SlowDown",
    "InternalError",
    "ServiceUnavailable",
    "OperationAborted",
    "AccessDenied",
    "TooManyBuckets",
  ])("retries on %s", (code) => {
    expect(classifyS3Error({ code, message: "not now" })).toBe("retryable");
  });

  it("retries when S3 never answered", () => {
    expect(classifyS3Error({ message: "connect ECONNREFUSED 127.0.0.1:4566" })).toBe("retryable");
  });
});

describe("createRefusalOf", () => {
  it("says another account has the name when S3 answers BucketAlreadyExists", () => {
    expect(createRefusalOf("approvals-logs", { code: "BucketAlreadyExists", message: "taken" })).toEqual({
      errorCode: "BucketAlreadyExists",
      reason:
        "Bucket approvals-logs already exists and belongs to someone else: bucket names are shared by every AWS account, so the request must name another",
    });
  });

  it("passes on S3's own words for any other permanent refusal", () => {
    expect(createRefusalOf("approvals-logs", { code: "InvalidBucketName", message: "bad name" })).toEqual({
      errorCode: "InvalidBucketName",
      reason: "S3 refused to set up the bucket (InvalidBucketName): bad name",
    });
  });

  it("refuses nothing S3 may yet accept on a retry", () => {
    expect(createRefusalOf("approvals-logs", { code: "SlowDown", message: "slow down" })).toBeUndefined();
  });
});

describe("the lease's end and the release as the launcher reads them", () => {
  const release = {
    requestId: "req-bucket-1",
    request: sampleBucketRequest(),
    resource: { type: "s3", bucketName: "approvals-team-logs", region: "us-east-1" },
    action: "delete-if-empty",
    reason: "lease-ended",
    requestedAt: "2030-01-08T10:00:00.000Z",
  };

  it("takes the release of a bucket, and refuses one with another type's action or of another resource", () => {
    expect(bucketReleaseSchema.safeParse(release).success).toBe(true);
    expect(bucketReleaseSchema.safeParse({ ...release, action: "terminate" }).success).toBe(false);
    expect(
      bucketReleaseSchema.safeParse({
        ...release,
        resource: { type: "rds", dbInstanceIdentifier: "orders-0a1b2c3d", region: "us-east-1" },
      }).success,
    ).toBe(false);
  });

  it("checks the releases of buckets only", () => {
    const check = { requestId: "req-bucket-1", attempt: 1, dueAt: "2030-01-08T10:00:30.000Z" };

    expect(bucketReleaseCheckSchema.safeParse({ ...check, resourceType: "s3" }).success).toBe(true);
    expect(bucketReleaseCheckSchema.safeParse({ ...check, resourceType: "ec2" }).success).toBe(false);
  });

  it("says how many checks found the bucket still there", () => {
    expect(stillThereProblem("approvals-team-logs", 1)).toBe(
      "Bucket approvals-team-logs still exists after 1 check",
    );
    expect(stillThereProblem("approvals-team-logs", 6)).toBe(
      "Bucket approvals-team-logs still exists after 6 checks",
    );
  });
});
