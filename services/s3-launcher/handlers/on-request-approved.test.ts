import "../../../test/support/service-environment.ts";
import { IdempotencyAlreadyInProgressError } from "@aws-lambda-powertools/idempotency";
import {
  CreateBucketCommand,
  GetBucketTaggingCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LAUNCHER_SOURCES } from "../../../events/launched-resource.ts";
import { ProvisioningFailed } from "../../../events/provisioning-failed.ts";
import { ProvisioningStarted } from "../../../events/provisioning-started.ts";
import { ResourceProvisioned } from "../../../events/resource-provisioned.ts";
import { deliverTogetherThenRetryFailures } from "../../../test/support/idempotency.ts";
import { buildBucketConfiguration, buildCreateBucketInput } from "../domain.ts";
import { APPROVER, approvalOf, DEPLOYMENT_NAME, s3Error, startLauncherTestbed } from "../testing/fixtures.ts";
import { createRequestApprovedHandler } from "./on-request-approved.ts";

describe("s3-launcher on RequestApproved", () => {
  let testbed: Awaited<ReturnType<typeof startLauncherTestbed>>;
  beforeAll(async () => {
    testbed = await startLauncherTestbed();
  });
  afterAll(() => testbed.close());
  beforeEach(() => {
    testbed.s3Mock.reset();
    testbed.regionsAsked.length = 0;
    // By default the name is free: no bucket has it yet, and every call succeeds.
    testbed.s3Mock.on(GetBucketTaggingCommand).rejects(s3Error("NoSuchBucket"));
  });

  const setUp = () => {
    const { bus, deps } = testbed.freshDeps();
    return { bus, metrics: deps.metrics, handle: createRequestApprovedHandler(deps) };
  };
  /** Every S3 call made, in order, as `[S3 operation, input]`. */
  const s3Calls = () =>
    testbed.s3Mock
      .calls()
      .map((call) => [call.args[0].constructor.name.replace(/Command$/, ""), call.args[0].input as object]);
  const callsOf = (operation: string) => s3Calls().filter(([name]) => name === operation);
  const settingCalls = () =>
    s3Calls().filter(([name]) => name !== "GetBucketTagging" && name !== "CreateBucket");

  it("creates the bucket in the request's region, sets it up, and announces it started, then ready", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("in-ireland", { expireObjectsAfterDays: 30 }, { region: "eu-west-1" });
    const settings = buildBucketConfiguration(approval.request, APPROVER, "eu-west-1", DEPLOYMENT_NAME);

    await handle(approval);

    expect(testbed.regionsAsked).toEqual(["eu-west-1"]);
    expect(s3Calls()).toEqual([
      ["GetBucketTagging", { Bucket: "approvals-in-ireland" }],
      ["CreateBucket", buildCreateBucketInput("approvals-in-ireland", "eu-west-1")],
      ["PutBucketTagging", settings.tagging],
      ["PutPublicAccessBlock", settings.publicAccessBlock],
      ["PutBucketEncryption", settings.encryption],
      ["PutBucketVersioning", settings.versioning],
      ["PutBucketLifecycleConfiguration", settings.lifecycle],
      ["PutBucketPolicy", settings.policy],
    ]);
    expect(bus.published).toEqual([
      {
        detailType: ProvisioningStarted.detailType,
        source: LAUNCHER_SOURCES.s3,
        detail: {
          requestId: "in-ireland",
          request: approval.request,
          approver: APPROVER,
          bucketName: "approvals-in-ireland",
          startedAt: "2030-01-01T10:00:05.000Z",
        },
      },
      {
        detailType: ResourceProvisioned.detailType,
        source: LAUNCHER_SOURCES.s3,
        detail: {
          requestId: "in-ireland",
          request: approval.request,
          bucket: {
            name: "approvals-in-ireland",
            arn: "arn:aws:s3:::approvals-in-ireland",
            region: "eu-west-1",
          },
          provisionedAt: "2030-01-01T10:00:05.000Z",
        },
      },
    ]);
  });

  it("creates the bucket in the stack's region when the request names none", async () => {
    const { bus, handle } = setUp();
    const { region: _, ...regionless } = approvalOf("regionless").request;

    await handle({ ...approvalOf("regionless"), request: regionless });

    expect(testbed.regionsAsked).toEqual(["us-east-1"]);
    expect(callsOf("CreateBucket")).toEqual([
      ["CreateBucket", { Bucket: "approvals-regionless", ObjectOwnership: "BucketOwnerEnforced" }],
    ]);
    expect(bus.detailsOf(ResourceProvisioned).map((detail) => detail.bucket?.region)).toEqual(["us-east-1"]);
  });

  it("provisions a bucket a policy approved on its own, tagged with the policy as its approver", async () => {
    const { bus, handle } = setUp();
    const approval = { ...approvalOf("auto-approved"), approver: "policy:cheap-buckets" };

    await handle(approval);

    expect(bus.detailsOf(ProvisioningStarted).map((detail) => detail.approver)).toEqual([
      "policy:cheap-buckets",
    ]);
    expect(bus.detailsOf(ResourceProvisioned)).toHaveLength(1);
    expect(callsOf("PutBucketTagging")).toEqual([
      [
        "PutBucketTagging",
        buildBucketConfiguration(approval.request, "policy:cheap-buckets", "us-east-1", DEPLOYMENT_NAME)
          .tagging,
      ],
    ]);
  });

  it("creates one bucket and announces it once when the approval is delivered again and again", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("redelivered");

    await handle(approval);
    await handle(approval);
    await handle(approval);

    expect(bus.published.map((event) => event.detailType)).toEqual([
      ProvisioningStarted.detailType,
      ResourceProvisioned.detailType,
    ]);
    expect(callsOf("CreateBucket")).toHaveLength(1);
  });

  it("counts the bucket started and ready once, with the time from the approval to ready", async () => {
    const { metrics, handle } = setUp();
    const approval = approvalOf("counted-bucket");

    await handle(approval);
    await handle(approval);

    expect(metrics.recorded).toEqual([
      { metric: "ProvisioningStarted", value: 1, dimensions: { resourceType: "s3" } },
      { metric: "ProvisioningSucceeded", value: 1, dimensions: { resourceType: "s3" } },
      // Approved at 10:00:00, ready at the testbed's now, 10:00:05.
      { metric: "TimeToProvision", value: 5000 },
    ]);
  });

  it("counts a bucket whose name another account has as failed, once", async () => {
    const { metrics, handle } = setUp();
    const approval = approvalOf("counted-taken");
    testbed.s3Mock.on(GetBucketTaggingCommand).rejects(s3Error("AccessDenied"));
    testbed.s3Mock.on(CreateBucketCommand).rejects(s3Error("BucketAlreadyExists"));

    await handle(approval);
    await handle(approval);

    expect(metrics.recorded).toEqual([
      { metric: "ProvisioningFailed", value: 1, dimensions: { resourceType: "s3" } },
    ]);
  });

  it("announces once for concurrent copies and their retries", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("concurrent");

    const failures = await deliverTogetherThenRetryFailures(handle, [approval, approval, approval]);

    expect(failures.filter((failure) => !(failure instanceof IdempotencyAlreadyInProgressError))).toEqual([]);
    expect(bus.detailsOf(ProvisioningStarted)).toHaveLength(1);
    expect(bus.detailsOf(ResourceProvisioned)).toHaveLength(1);
  });

  it("fails the request once, naming no bucket, when another account has the name", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("taken-elsewhere");
    testbed.s3Mock.on(GetBucketTaggingCommand).rejects(s3Error("AccessDenied"));
    testbed.s3Mock.on(CreateBucketCommand).rejects(s3Error("BucketAlreadyExists"));

    await handle(approval);
    await handle(approval);

    expect(bus.published).toEqual([
      {
        detailType: ProvisioningFailed.detailType,
        source: LAUNCHER_SOURCES.s3,
        detail: {
          requestId: "taken-elsewhere",
          request: approval.request,
          errorCode: "BucketAlreadyExists",
          reason:
            "Bucket approvals-taken-elsewhere already exists and belongs to someone else: bucket names are shared by every AWS account, so the request must name another",
          failedAt: "2030-01-01T10:00:05.000Z",
        },
      },
    ]);
    expect(callsOf("CreateBucket")).toHaveLength(1);
    expect(settingCalls()).toEqual([]);
  });

  it.each([
    ["untagged", []],
    ["tagged for another request", [{ Key: "RequestId", Value: "someone-elses" }]],
  ])(
    "fails the request, touching nothing, when a bucket %s already has the name in this account",
    async (_, TagSet) => {
      const { bus, handle } = setUp();
      const approval = approvalOf(`in-account-${TagSet.length}`);
      if (TagSet.length === 0) testbed.s3Mock.on(GetBucketTaggingCommand).rejects(s3Error("NoSuchTagSet"));
      else testbed.s3Mock.on(GetBucketTaggingCommand).resolves({ TagSet });

      await handle(approval);

      expect(bus.detailsOf(ProvisioningFailed).map((detail) => detail.reason)).toEqual([
        `Bucket approvals-in-account-${TagSet.length} already exists in this AWS account and was not created for this request: it is left as it is`,
      ]);
      expect(s3Calls().map(([name]) => name)).toEqual(["GetBucketTagging"]);
    },
  );

  it("fails the request, asking S3 nothing, when another request already asked for the name", async () => {
    const { bus, handle } = setUp();
    await handle(approvalOf("first-asker", { bucketName: "approvals-wanted-twice" }));
    testbed.s3Mock.resetHistory();
    const second = approvalOf("second-asker", { bucketName: "approvals-wanted-twice" });

    await handle(second);
    await handle(second);

    expect(bus.eventsOf(ProvisioningFailed).map((event) => event.detail)).toEqual([
      {
        requestId: "second-asker",
        request: second.request,
        reason:
          "Bucket approvals-wanted-twice was already asked for by request first-asker: the request must name another",
        failedAt: "2030-01-01T10:00:05.000Z",
      },
    ]);
    expect(s3Calls()).toEqual([]);
  });

  it("takes its own untagged bucket for its own after an attempt stopped between creating and tagging it", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("stopped-before-tagging", {}, { region: "eu-west-1" });
    await testbed.store.claim({ ...approval, region: "eu-west-1" });
    await testbed.store.markCreateCalled("approvals-stopped-before-tagging", "stopped-before-tagging");
    testbed.s3Mock.on(CreateBucketCommand).rejects(s3Error("BucketAlreadyOwnedByYou"));
    testbed.s3Mock.on(GetBucketTaggingCommand).rejects(s3Error("NoSuchTagSet"));

    await handle(approval);

    expect(bus.detailsOf(ResourceProvisioned).map((detail) => detail.bucket?.name)).toEqual([
      "approvals-stopped-before-tagging",
    ]);
    expect(callsOf("PutBucketTagging")).toHaveLength(1);
  });

  it("fails the request when the bucket it may have created turns out tagged for another request", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("owned-by-another-request", {}, { region: "eu-west-1" });
    await testbed.store.claim({ ...approval, region: "eu-west-1" });
    await testbed.store.markCreateCalled("approvals-owned-by-another-request", "owned-by-another-request");
    testbed.s3Mock.on(CreateBucketCommand).rejects(s3Error("BucketAlreadyOwnedByYou"));
    testbed.s3Mock.on(GetBucketTaggingCommand).resolves({ TagSet: [{ Key: "RequestId", Value: "other" }] });

    await handle(approval);

    expect(bus.detailsOf(ProvisioningFailed)).toMatchObject([{ errorCode: "BucketAlreadyOwnedByYou" }]);
    expect(settingCalls()).toEqual([]);
  });

  it.each([
    ["throttled", s3Error("SlowDown", "server")],
    ["unavailable", s3Error("ServiceUnavailable", "server")],
    ["unreachable", new Error("connect ECONNREFUSED 127.0.0.1:4566")],
  ])(
    "throws for the bus to retry when S3 is %s midway, and the retry resumes without creating again",
    async (situation, error) => {
      const { bus, handle } = setUp();
      const approval = approvalOf(`resume-when-${situation}`);
      testbed.s3Mock.on(PutBucketEncryptionCommand).rejectsOnce(error).resolves({});

      await expect(handle(approval)).rejects.toBe(error);
      expect(bus.published.map((event) => event.detailType)).toEqual([ProvisioningStarted.detailType]);

      await handle(approval);

      expect(bus.published.map((event) => event.detailType)).toEqual([
        ProvisioningStarted.detailType,
        ResourceProvisioned.detailType,
      ]);
      expect(callsOf("CreateBucket")).toHaveLength(1);
      expect(callsOf("PutBucketPolicy")).toHaveLength(1);
    },
  );

  it("throws for the bus to retry when CreateBucket is throttled, then creates the bucket on the retry", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("create-throttled");
    const throttled = s3Error("SlowDown", "server");
    testbed.s3Mock.on(CreateBucketCommand).rejectsOnce(throttled).resolves({});

    await expect(handle(approval)).rejects.toBe(throttled);
    expect(bus.published).toEqual([]);

    await handle(approval);
    expect(bus.detailsOf(ResourceProvisioned)).toHaveLength(1);
  });

  it("fails the request once, naming its bucket, when S3 refuses a setting for good", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("policy-refused");
    testbed.s3Mock.on(PutBucketPolicyCommand).rejects(s3Error("MalformedPolicy"));

    await handle(approval);
    await handle(approval);

    expect(bus.detailsOf(ProvisioningFailed)).toEqual([
      {
        requestId: "policy-refused",
        request: approval.request,
        bucketName: "approvals-policy-refused",
        errorCode: "MalformedPolicy",
        reason: "S3 refused to set up the bucket (MalformedPolicy): MalformedPolicy happened",
        failedAt: "2030-01-01T10:00:05.000Z",
      },
    ]);
    expect(bus.detailsOf(ResourceProvisioned)).toEqual([]);
    expect(callsOf("PutBucketPolicy")).toHaveLength(1);
  });

  it("announces the bucket on the retry when the bus refused the first announcement", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("bus-down");
    bus.failNext();

    await expect(handle(approval)).rejects.toThrow("EventBridge is unreachable");
    await handle(approval);

    expect(bus.published.map((event) => event.detailType)).toEqual([
      ProvisioningStarted.detailType,
      ResourceProvisioned.detailType,
    ]);
    expect(callsOf("CreateBucket")).toHaveLength(1);
  });
});
