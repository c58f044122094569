import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import {
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  ListBucketsCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { loadLocalConfig } from "../../infra/local/config.ts";
import { existingServicesPrincipal } from "../../infra/local/edge/principals.ts";
import { EVENT_HANDLER_TIMEOUT_MS, MAILING_LEASE_MS } from "../../services/shared/leases.ts";
import {
  decide,
  decisionLinks,
  getRequest,
  localUsersEnv,
  submit,
  validRequest,
  waitForEmails,
  waitForStatus,
} from "../support/flow.ts";
import { submitAndApprove } from "../support/launches.ts";
import { type StackPorts, type StackUnderTest, startStack } from "../support/stack.ts";

/**
 * The bus's retry schedule as shipped, not the tests' quick one: its attempts must outlast a claim
 * orphaned by the kill, or the delivery that finds the claim held is dead-lettered before it expires.
 */
const { BUS_RETRY_BASE_MS, BUS_MAX_ATTEMPTS } = loadLocalConfig({});

/**
 * The longest a claim orphaned by the kill holds: approval-mail's mailing lease, or an idempotency
 * record in progress until its invocation's deadline; plus up to two of the bus's longest waits before
 * the retry that finds it expired.
 */
const CLAIM_RECOVERY_MS = Math.max(MAILING_LEASE_MS, EVENT_HANDLER_TIMEOUT_MS) + 120_000;

describe("local mode across restarts", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "approvals-restart-"));
  const stacks: StackUnderTest[] = [];
  const start = async (ports?: StackPorts) => {
    const stack = await startStack({
      dataDir,
      ports,
      env: {
        BUS_RETRY_BASE_MS: String(BUS_RETRY_BASE_MS),
        BUS_MAX_ATTEMPTS: String(BUS_MAX_ATTEMPTS),
        ...localUsersEnv(),
      },
    });
    stacks.push(stack);
    return stack;
  };
  afterAll(async () => {
    for (const stack of stacks) await stack.stop("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("stops cleanly on SIGTERM and keeps requests, emails and working links for the next start", async () => {
    const first = await start();
    const submitted = await submit(first, validRequest());
    const requestId = String(submitted.body.requestId);
    const [email] = await waitForEmails(first, "approver@example.com", requestId);
    await waitForStatus(first, requestId, "PENDING_APPROVAL");

    expect(await first.stop("SIGTERM")).toBe(0);
    expect(first.output()).toContain("Stopped.");
    const second = await start(first.ports);

    expect((await getRequest(second, requestId))?.status).toBe("PENDING_APPROVAL");
    expect(
      (await waitForEmails(second, "approver@example.com", requestId)).map((mail) => mail.messageId),
    ).toEqual([email?.messageId]);
    expect((await decide(decisionLinks(email as NonNullable<typeof email>).approve)).status).toBe(200);
    await waitForStatus(second, requestId, "PROVISIONED");
    await second.stop();
  });

  it(
    "finishes the flow of events accepted before a kill -9",
    async () => {
      const first = await start();
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, index) =>
          submit(first, validRequest({ justification: `crash ${index}` })),
        ),
      );

      await first.stop("SIGKILL");
      const second = await start(first.ports);

      for (const answer of answers) {
        expect(answer.status).toBe(202);
        // A delivery cut off mid-claim is retried once its lease has run out, as after a Lambda crash.
        const requestId = String(answer.body.requestId);
        await waitForStatus(second, requestId, "PENDING_APPROVAL", CLAIM_RECOVERY_MS);
        // No approval email is lost. (One cut off between SES and its "sent" mark may go out twice.)
        expect(
          (await waitForEmails(second, "approver@example.com", requestId)).length,
        ).toBeGreaterThanOrEqual(1);
      }
      // The next test starts on the same data directory, whose database one stack at a time may hold.
      await second.stop();
    },
    CLAIM_RECOVERY_MS + 60_000,
  );

  it(
    "creates one DB instance for an approval whose launch a kill -9 cut off",
    async () => {
      const first = await start();
      const requestId = await submitAndApprove(first, {
        type: "rds",
        engine: "mysql",
        instanceClass: "db.t4g.micro",
        allocatedStorageGiB: 20,
        name: "survivor",
      });
      // Killed once the approval is on the bus: its launch is under way, the instance still creating.
      await first.eventually(
        () => getRequest(first, requestId),
        (view) => view?.timeline.some((entry) => entry.type === "RequestApproved") === true,
      );

      await first.stop("SIGKILL");
      const second = await start(first.ports);

      await waitForStatus(second, requestId, "PROVISIONED", CLAIM_RECOVERY_MS);
      const rds = new RDSClient({
        endpoint: second.edgeUrl,
        region: "us-east-1",
        credentials: await existingServicesPrincipal(dataDir),
      });
      try {
        const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({}));
        const ofRequest = DBInstances.filter((instance) =>
          instance.TagList?.some((tag) => tag.Key === "RequestId" && tag.Value === requestId),
        );
        expect(ofRequest).toHaveLength(1);
      } finally {
        rds.destroy();
      }
      await second.stop();
    },
    CLAIM_RECOVERY_MS + 60_000,
  );

  it(
    "makes one bucket of its own for an approval a kill -9 cut off, and provisions it after the restart",
    async () => {
      const first = await start();
      const bucketName = "approvals-crash-survivor";
      const requestId = await submitAndApprove(first, { type: "s3", bucketName, versioning: true });
      await first.eventually(
        () => getRequest(first, requestId),
        (view) => view?.timeline.some((entry) => entry.type === "RequestApproved") === true,
      );

      await first.stop("SIGKILL");
      const second = await start(first.ports);

      // Wherever the kill cut the setup off, the retry must call the bucket its own, never someone else's.
      await waitForStatus(second, requestId, "PROVISIONED", CLAIM_RECOVERY_MS);
      const s3 = new S3Client({
        endpoint: second.edgeUrl,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: await existingServicesPrincipal(dataDir),
      });
      try {
        const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));
        expect(Buckets.filter((bucket) => bucket.Name === bucketName)).toHaveLength(1);
        const { TagSet = [] } = await s3.send(new GetBucketTaggingCommand({ Bucket: bucketName }));
        expect(TagSet).toContainEqual({ Key: "RequestId", Value: requestId });
        expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucketName }))).Status).toBe(
          "Enabled",
        );
      } finally {
        s3.destroy();
      }
    },
    CLAIM_RECOVERY_MS + 60_000,
  );
});
