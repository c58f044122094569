import "../../../test/support/service-environment.ts";
import {
  CreateBucketCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProvisioningFailed } from "../../../events/provisioning-failed.ts";
import { ResourceProvisioned } from "../../../events/resource-provisioned.ts";
import { OUTSIDE_PRINCIPAL } from "../../../infra/local/edge/principals.ts";
import { bucketSettingsOf } from "../../../infra/local/s3/testing/local-s3.ts";
import { TEST_SERVICES_PRINCIPAL } from "../../../test/support/local-events.ts";
import { tlsOnlyPolicyOf } from "../domain.ts";
import { APPROVER, approvalOf, DEPLOYMENT_NAME, startLocalS3Testbed } from "../testing/fixtures.ts";
import { createRequestApprovedHandler } from "./on-request-approved.ts";

/** The launcher against the real local S3: what it sets is what S3 then answers. */
describe("s3-launcher on RequestApproved, on the local S3", () => {
  let testbed: Awaited<ReturnType<typeof startLocalS3Testbed>>;
  beforeAll(async () => {
    testbed = await startLocalS3Testbed();
  });
  afterAll(() => testbed.close());

  const setUp = () => {
    const { bus, deps } = testbed.freshDeps();
    return { bus, handle: createRequestApprovedHandler(deps) };
  };

  it("provisions a bucket in eu-west-1 whose every setting reads back as asked, and that takes objects", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf(
      "read-back",
      { encryption: "sse-kms", expireObjectsAfterDays: 30 },
      { region: "eu-west-1" },
    );
    const s3 = testbed.clientAs(TEST_SERVICES_PRINCIPAL, "eu-west-1");
    const Bucket = "approvals-read-back";

    await handle(approval);
    await handle(approval);

    expect(bus.detailsOf(ResourceProvisioned).map((detail) => detail.bucket)).toEqual([
      { name: Bucket, arn: `arn:aws:s3:::${Bucket}`, region: "eu-west-1" },
    ]);
    const settings = await bucketSettingsOf(s3, Bucket);
    expect(settings.location).toBe("eu-west-1");
    expect(settings.publicAccessBlock).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect(settings.encryptionRules).toMatchObject([
      { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: true },
    ]);
    expect(settings.versioning).toBe("Enabled");
    expect(settings.lifecycleRules).toMatchObject([
      {
        ID: "expire-objects",
        Status: "Enabled",
        Expiration: { Days: 30 },
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      },
    ]);
    expect(settings.policy).toEqual(tlsOnlyPolicyOf(Bucket, "eu-west-1"));
    expect(settings.tags).toEqual([
      { Key: "RequestId", Value: "read-back" },
      { Key: "Requester", Value: "ana@example.com" },
      { Key: "Approver", Value: APPROVER },
      { Key: "approvals:stack", Value: DEPLOYMENT_NAME },
    ]);

    const requester = testbed.clientAs(OUTSIDE_PRINCIPAL, "eu-west-1");
    await requester.send(new PutObjectCommand({ Bucket, Key: "hello.txt", Body: "hello" }));
    const object = await requester.send(new GetObjectCommand({ Bucket, Key: "hello.txt" }));
    expect(await object.Body?.transformToString()).toBe("hello");
  });

  it("fails the request, leaving the bucket as it is, when someone else already has the bucket name", async () => {
    const { bus, handle } = setUp();
    const someoneElse = testbed.clientAs(OUTSIDE_PRINCIPAL, "eu-west-1");
    const Bucket = "approvals-someone-elses";
    await someoneElse.send(
      new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }),
    );

    await handle(approvalOf("someone-elses", {}, { region: "eu-west-1" }));

    // Denied its tags, the launcher asks to create the bucket, which S3 refuses as BucketAlreadyExists.
    expect(bus.detailsOf(ProvisioningFailed)).toMatchObject([
      {
        requestId: "someone-elses",
        errorCode: "BucketAlreadyExists",
        reason:
          "Bucket approvals-someone-elses already exists and belongs to someone else: bucket names are shared by every AWS account, so the request must name another",
      },
    ]);
    expect(bus.detailsOf(ResourceProvisioned)).toEqual([]);
    await expect(someoneElse.send(new GetBucketTaggingCommand({ Bucket }))).rejects.toThrow(
      expect.objectContaining({ name: "NoSuchTagSet" }),
    );
  });

  it("leaves alone a bucket this account already had in us-east-1, where creating it again succeeds", async () => {
    const { bus, handle } = setUp();
    const s3 = testbed.clientAs(TEST_SERVICES_PRINCIPAL, "us-east-1");
    await s3.send(new CreateBucketCommand({ Bucket: "approvals-operators-own" }));

    await handle(approvalOf("operators-own", {}, { region: "us-east-1" }));

    expect(bus.detailsOf(ProvisioningFailed).map((detail) => detail.reason)).toEqual([
      "Bucket approvals-operators-own already exists in this AWS account and was not created for this request: it is left as it is",
    ]);
    await expect(s3.send(new GetBucketTaggingCommand({ Bucket: "approvals-operators-own" }))).rejects.toThrow(
      expect.objectContaining({ name: "NoSuchTagSet" }),
    );
  });

  it("finishes the bucket an earlier attempt created and stopped before tagging", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("created-then-stopped", {}, { region: "eu-west-1" });
    await testbed.store.claim({ ...approval, region: "eu-west-1" });
    await testbed.store.markCreateCalled("approvals-created-then-stopped", "created-then-stopped");
    const s3 = testbed.clientAs(TEST_SERVICES_PRINCIPAL, "eu-west-1");
    await s3.send(
      new CreateBucketCommand({
        Bucket: "approvals-created-then-stopped",
        CreateBucketConfiguration: { LocationConstraint: "eu-west-1" },
      }),
    );

    await handle(approval);

    expect(bus.detailsOf(ResourceProvisioned).map((detail) => detail.bucket?.name)).toEqual([
      "approvals-created-then-stopped",
    ]);
    expect(
      (await s3.send(new GetBucketTaggingCommand({ Bucket: "approvals-created-then-stopped" }))).TagSet,
    ).toContainEqual({ Key: "RequestId", Value: "created-then-stopped" });
  });
});
