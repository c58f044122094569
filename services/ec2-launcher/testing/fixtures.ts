import "../../../test/support/service-environment.ts";
import { EC2Client, EC2ServiceException } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import type { Ec2Resource } from "../../../events/request.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { sampleRequest } from "../../../test/support/fixtures.ts";
import { testIdempotency } from "../../../test/support/idempotency.ts";
import { handlerDepsWith } from "../../../test/support/launchers.ts";
import { recordingSchedules } from "../../../test/support/recording-schedules.ts";
import { clientPerRegion } from "../../shared/regional-clients.ts";
import { type Ec2Approval, ec2ApprovalSchema } from "../domain.ts";
import { createEc2Gateway } from "../ec2.ts";
import { createReaper } from "../reaper.ts";
import { type Ec2EndAction, type Ec2ReleaseRequest, ec2ReleaseRequestSchema } from "../release.ts";
import { createLaunchStore } from "../store.ts";
import { idempotencyTable, launchesTable, tables } from "../tables.ts";
import { ec2RequestOf } from "./requests.ts";

export const APPROVER = "bob@example.com";

/**
 * A `RequestApproved` detail for an EC2 request with this id, the sample resource changed by `resource`,
 * in `region` when one is given (absent, as on requests accepted before regions).
 */
export const approvalOf = (
  requestId: string,
  resource: Partial<Ec2Resource> = {},
  { region }: { region?: string } = {},
): Ec2Approval =>
  ec2ApprovalSchema.parse({
    requestId,
    request: sampleRequest({
      requestId,
      resource: { ...ec2RequestOf().resource, ...resource },
      ...(region && { region }),
    }),
    approver: APPROVER,
    decidedAt: "2030-01-01T10:00:00.000Z",
  });

export const RELEASE_REQUESTED_AT = "2030-01-08T10:00:05.000Z";

/**
 * A `ReleaseRequested` detail for the instance of an EC2 request with this id: its lease ended and it
 * is terminated, unless `changes` say otherwise.
 */
export const releaseRequestOf = (
  requestId: string,
  instanceId: string,
  changes: Partial<Pick<Ec2ReleaseRequest, "reason" | "by" | "note">> & {
    action?: Ec2EndAction;
    region?: string;
  } = {},
): Ec2ReleaseRequest => {
  const { action = "terminate", region = STACK_REGION, ...rest } = changes;
  return ec2ReleaseRequestSchema.parse({
    requestId,
    request: ec2RequestOf({ requestId }),
    resource: { type: "ec2", instanceId, region },
    action,
    reason: "lease-ended",
    requestedAt: RELEASE_REQUESTED_AT,
    ...rest,
  });
};

/** An error as the SDK raises it for an EC2 error answer with this code. */
export const ec2Error = (code: string, fault: "client" | "server" = "client") =>
  new EC2ServiceException({ name: code, $fault: fault, $metadata: {}, message: `${code} happened` });

let instances = 0;
/** A fresh instance id in AWS's long format. */
export const newInstanceId = () => `i-${(++instances).toString(16).padStart(17, "0")}`;

export const FIXED_NOW = new Date("2030-01-01T10:00:05.000Z");

/** The region the test environment gives the launcher as its own (test/support/service-environment.ts). */
export const STACK_REGION = "us-east-1";

/** The reaper's delays in handler tests: three checks, 30 s, 1 min and 2 min after each other. */
export const RELEASE_CHECK_DELAYS_MS = [30_000, 60_000, 120_000];

/**
 * The launcher's dependencies for handler tests: the store on dynalite with the launcher's tables, the
 * real EC2 gateway over an SDK client per region whose calls are mocked (`ec2MockIn`; `ec2Mock` is the
 * stack region's), a recording publisher, and the reaper over them with schedules kept in memory.
 */
export const startLauncherTestbed = async () => {
  const dynamo: TestDynamo = await startTestDynamo(tables);
  const clientIn = clientPerRegion(
    (region) => new EC2Client({ region, credentials: { accessKeyId: "test", secretAccessKey: "test" } }),
  );
  const ec2MockIn = clientPerRegion((region) => mockClient(clientIn(region)));
  const ec2Mock = ec2MockIn(STACK_REGION);
  const store = createLaunchStore(
    dynamo.document,
    launchesTable.id,
    testIdempotency(dynamo, idempotencyTable.id, "ec2-launcher"),
  );
  const ec2 = createEc2Gateway(clientIn);
  const freshDeps = () => {
    const { bus, deps } = handlerDepsWith({ store, ec2, now: () => FIXED_NOW });
    const schedules = recordingSchedules();
    const reaper = createReaper({ ...deps, schedules, releaseCheckDelaysMs: RELEASE_CHECK_DELAYS_MS });
    return { bus, schedules, deps: { ...deps, reaper } };
  };
  const mockedRegions = new Set<string>([STACK_REGION]);
  return {
    store,
    ec2Mock,
    ec2MockIn: (region: string) => {
      mockedRegions.add(region);
      return ec2MockIn(region);
    },
    /** Forgets every region's mocked answers and calls. */
    resetEc2: () => {
      for (const region of mockedRegions) ec2MockIn(region).reset();
    },
    freshDeps,
    close: async () => {
      for (const region of mockedRegions) ec2MockIn(region).restore();
      await dynamo.close();
    },
  };
};
