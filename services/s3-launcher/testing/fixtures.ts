import "../../../test/support/service-environment.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import type { AcceptedRequest } from "../../../events/request.ts";
import type { S3Resource } from "../../../events/s3-resource.ts";
import { startLocalS3AtEdge } from "../../../infra/local/s3/testing/local-s3.ts";
import { startTestDynamo } from "../../../test/support/dynamo.ts";
import { sampleBucketRequest } from "../../../test/support/fixtures.ts";
import { testIdempotency } from "../../../test/support/idempotency.ts";
import { handlerDepsWith } from "../../../test/support/launchers.ts";
import { TEST_SERVICES_PRINCIPAL } from "../../../test/support/local-events.ts";
import { recordingSchedules } from "../../../test/support/recording-schedules.ts";
import { clientPerRegion } from "../../shared/regional-clients.ts";
import {
  type BucketApproval,
  type BucketRelease,
  bucketApprovalSchema,
  bucketReleaseSchema,
} from "../domain.ts";
import { createS3Gateway } from "../s3.ts";
import { createBucketStore } from "../store.ts";
import { bucketsTable, idempotencyTable, leasesTable, tables } from "../tables.ts";

export const APPROVER = "bob@example.com";
export const HOME_REGION = "us-east-1";
/** The deployment's tag value on the buckets the testbed's launcher creates. */
export const DEPLOYMENT_NAME = "approvals-test";

/**
 * A `RequestApproved` detail for a bucket request with this id (lower-case, as it names the bucket
 * `approvals-<id>` unless `resource` names another), the sample request changed by `resource` and
 * `request`.
 */
export const approvalOf = (
  requestId: string,
  resource: Partial<S3Resource> = {},
  request: Partial<AcceptedRequest> = {},
): BucketApproval =>
  bucketApprovalSchema.parse({
    requestId,
    request: sampleBucketRequest({
      requestId,
      ...request,
      resource: { ...sampleBucketRequest().resource, bucketName: `approvals-${requestId}`, ...resource },
    }),
    approver: APPROVER,
    decidedAt: "2030-01-01T10:00:00.000Z",
  });

/**
 * A `ReleaseRequested` detail for the bucket of `approvalOf(requestId)` in `region`, as the lease
 * service sends it at the lease's end.
 */
export const releaseOf = (
  requestId: string,
  region = HOME_REGION,
  release: Partial<BucketRelease> = {},
): BucketRelease => {
  const { request } = approvalOf(requestId, {}, { region });
  return bucketReleaseSchema.parse({
    requestId,
    request,
    resource: { type: "s3", bucketName: request.resource.bucketName, region },
    action: "delete-if-empty",
    reason: "lease-ended",
    requestedAt: "2030-01-08T10:00:00.000Z",
    ...release,
  });
};

/** The release handlers' own dependencies besides a testbed's: Scheduler recorded, and the reaper's delays. */
export const RELEASE_CHECK_DELAYS_MS = [30_000, 60_000, 120_000];

/** An error as the SDK raises it for an S3 error answer with this code. */
export const s3Error = (code: string, fault: "client" | "server" = "client") =>
  new S3ServiceException({ name: code, $fault: fault, $metadata: {}, message: `${code} happened` });

export const FIXED_NOW = new Date("2030-01-01T10:00:05.000Z");

/**
 * The launcher's dependencies: the store on dynalite with the launcher's tables, the real S3 gateway
 * over the SDK client `clientIn` makes for each region (once), and a recording publisher per handler.
 */
const startTestbed = async (clientIn: (region: string) => S3Client) => {
  const dynamo = await startTestDynamo(tables);
  const regionsAsked: string[] = [];
  const gatewayIn = clientPerRegion((region) => createS3Gateway(clientIn(region)));
  const store = createBucketStore(
    dynamo.document,
    bucketsTable.id,
    leasesTable.id,
    testIdempotency(dynamo, idempotencyTable.id, "s3-launcher"),
  );
  const s3In = (region: string) => {
    regionsAsked.push(region);
    return gatewayIn(region);
  };
  const freshDeps = () => {
    const { bus, deps } = handlerDepsWith({
      store,
      s3In,
      homeRegion: HOME_REGION,
      deploymentName: DEPLOYMENT_NAME,
      now: () => FIXED_NOW,
    });
    const schedules = recordingSchedules();
    return { bus, schedules, deps: { ...deps, schedules, releaseCheckDelaysMs: RELEASE_CHECK_DELAYS_MS } };
  };
  return { store, regionsAsked, freshDeps, closeStore: () => dynamo.close() };
};

/** The testbed with S3's answers mocked, on every client whichever region it was made for. */
export const startLauncherTestbed = async () => {
  const s3Mock = mockClient(S3Client);
  const testbed = await startTestbed(
    (region) => new S3Client({ region, credentials: { accessKeyId: "test", secretAccessKey: "test" } }),
  );
  return {
    ...testbed,
    s3Mock,
    close: async () => {
      s3Mock.restore();
      await testbed.closeStore();
    },
  };
};

/**
 * The testbed on the real local S3 behind the local edge, where the launcher signs as the stack's
 * services do; `clientAs` makes clients for the tests' own calls, as the launcher or as anyone else.
 */
export const startLocalS3Testbed = async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "s3-launcher-"));
  const s3 = await startLocalS3AtEdge(dataDir);
  const testbed = await startTestbed((region) => s3.clientAs(TEST_SERVICES_PRINCIPAL, region));
  return {
    ...testbed,
    clientAs: s3.clientAs,
    close: async () => {
      await testbed.closeStore();
      await s3.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};
