import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existingServicesPrincipal, OUTSIDE_PRINCIPAL } from "../../infra/local/edge/principals.ts";
import { getRequest, localUsersEnv, waitForStatus } from "../support/flow.ts";
import { deliverApprovalAgain, submitAndApprove, timesLogged } from "../support/launches.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

/** What the s3-launcher logs when a delivery of an approval finds the bucket already announced. */
const REDELIVERY_IGNORED = "Bucket already announced; redelivery ignored";

describe("a bucket request on the local stack", () => {
  let stack: StackUnderTest;
  /** The requester, as the README's outside `local` credentials at the edge: any S3 client works so. */
  let outside: S3Client;
  /** The stack's own principal, as the operator looks at what it made. */
  let services: S3Client;
  beforeAll(async () => {
    stack = await startStack({
      // The launchers' INFO logs tell when a delivery of an approval has been handled.
      env: { POWERTOOLS_LOG_LEVEL: "INFO", ...localUsersEnv() },
    });
    const at = { endpoint: stack.edgeUrl, region: "us-east-1" };
    outside = new S3Client({ ...at, credentials: OUTSIDE_PRINCIPAL, forcePathStyle: true });
    services = new S3Client({
      ...at,
      credentials: await existingServicesPrincipal(stack.dataDir),
      forcePathStyle: true,
    });
  });
  afterAll(async () => {
    for (const client of [outside, services]) client?.destroy();
    await stack?.destroy();
  });

  it("creates the bucket as asked, which the requester puts objects in and reads back with the AWS SDK", async () => {
    const Bucket = "team-reports";
    const requestId = await submitAndApprove(stack, {
      type: "s3",
      bucketName: Bucket,
      encryption: "sse-kms",
    });

    const provisioned = await waitForStatus(stack, requestId, "PROVISIONED");

    expect(provisioned.bucket).toEqual({ name: Bucket, arn: `arn:aws:s3:::${Bucket}`, region: "us-east-1" });
    await outside.send(new PutObjectCommand({ Bucket, Key: "q1/summary.csv", Body: "month,total\n1,42\n" }));
    const got = await outside.send(new GetObjectCommand({ Bucket, Key: "q1/summary.csv" }));
    expect(await got.Body?.transformToString()).toBe("month,total\n1,42\n");
    expect(got.ServerSideEncryption).toBe("aws:kms");

    // The bucket's settings are its owner's to read: the stack's.
    const publicAccess = await services.send(new GetPublicAccessBlockCommand({ Bucket }));
    expect(publicAccess.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const encryption = await services.send(new GetBucketEncryptionCommand({ Bucket }));
    expect(
      encryption.ServerSideEncryptionConfiguration?.Rules?.map(
        (rule) => rule.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
      ),
    ).toEqual(["aws:kms"]);
    // Versioning is on unless the request turns it off.
    expect((await services.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe("Enabled");
  });

  it("leaves versioning off and encrypts with S3's own keys when the request asks so", async () => {
    const Bucket = "scratch";
    const requestId = await submitAndApprove(stack, { type: "s3", bucketName: Bucket, versioning: false });

    await waitForStatus(stack, requestId, "PROVISIONED");

    expect((await services.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBeUndefined();
    const encryption = await services.send(new GetBucketEncryptionCommand({ Bucket }));
    expect(
      encryption.ServerSideEncryptionConfiguration?.Rules?.map(
        (rule) => rule.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
      ),
    ).toEqual(["AES256"]);
  });

  it("fails a request for a bucket name someone else holds, saying so, and leaves their bucket alone", async () => {
    const Bucket = "already-taken";
    await outside.send(new CreateBucketCommand({ Bucket }));
    await outside.send(new PutObjectCommand({ Bucket, Key: "theirs.txt", Body: "theirs" }));

    const requestId = await submitAndApprove(stack, { type: "s3", bucketName: Bucket });

    const failed = await waitForStatus(stack, requestId, "FAILED");
    // The README's outside user is "someone else": S3 denies the launcher their bucket's tags and refuses its creation.
    expect(failed.failureReason).toBe(
      `Bucket ${Bucket} already exists and belongs to someone else: bucket names are shared by every AWS account, so the request must name another`,
    );
    const theirs = await outside.send(new GetObjectCommand({ Bucket, Key: "theirs.txt" }));
    expect(await theirs.Body?.transformToString()).toBe("theirs");
    expect((await outside.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBeUndefined();
  });

  it("makes one bucket however often the approval is delivered", async () => {
    const Bucket = "delivered-twice";
    const requestId = await submitAndApprove(stack, { type: "s3", bucketName: Bucket });

    await deliverApprovalAgain(stack, requestId, 2);

    await waitForStatus(stack, requestId, "PROVISIONED");
    await stack.eventually(
      async () => timesLogged(stack, "s3-launcher", REDELIVERY_IGNORED, requestId),
      (times) => times >= 2,
    );
    const view = await getRequest(stack, requestId);
    expect(view?.status).toBe("PROVISIONED");
    const outcomes = view?.timeline.filter((entry) =>
      ["ResourceProvisioned", "ProvisioningFailed"].includes(entry.type),
    );
    expect(outcomes?.map((entry) => entry.type)).toEqual(["ResourceProvisioned"]);
    const { Buckets = [] } = await services.send(new ListBucketsCommand({}));
    expect(Buckets.filter((bucket) => bucket.Name === Bucket)).toHaveLength(1);
  });
});
