import "../../../test/support/service-environment.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  RDSClient,
  RDSServiceException,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import type { DetailOf } from "../../../events/contract.ts";
import type { RdsDbInstanceEvent } from "../../../events/rds-instance-event.ts";
import type { RdsResource } from "../../../events/rds-resource.ts";
import type { AcceptedRequest } from "../../../events/request.ts";
import { startLocalRdsAtEdge } from "../../../infra/local/rds/testing/local-rds.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { sampleDatabaseRequest } from "../../../test/support/fixtures.ts";
import { testIdempotency } from "../../../test/support/idempotency.ts";
import { handlerDepsWith } from "../../../test/support/launchers.ts";
import { TEST_SERVICES_PRINCIPAL } from "../../../test/support/local-events.ts";
import { recordingSchedules } from "../../../test/support/recording-schedules.ts";
import { clientPerRegion } from "../../shared/regional-clients.ts";
import {
  type CreationSettings,
  dbInstanceIdentifierOf,
  type RdsApproval,
  type RdsRelease,
  rdsApprovalSchema,
  rdsReleaseSchema,
} from "../domain.ts";
import { createRdsGateway } from "../rds.ts";
import { createCreationStore } from "../store.ts";
import { creationsTable, idempotencyTable, tables } from "../tables.ts";

export const APPROVER = "bob@example.com";

export const SETTINGS: CreationSettings = {
  homeRegion: "us-east-1",
  dbSecurityGroupIds: [],
  deploymentName: "approvals-test",
};

/** A `RequestApproved` detail for the sample database request under this id, its resource changed by `resource`. */
export const approvalOf = (
  requestId: string,
  resource: Partial<RdsResource> = {},
  request: Partial<AcceptedRequest> = {},
): RdsApproval =>
  rdsApprovalSchema.parse({
    requestId,
    request: sampleDatabaseRequest({
      requestId,
      resource: { ...sampleDatabaseRequest().resource, ...resource },
      ...request,
    }),
    approver: APPROVER,
    decidedAt: "2030-01-01T10:00:00.000Z",
  });

/** A `ReleaseRequested` detail for the instance of `approvalOf(requestId)`, as the lease service sends it at the lease's end. */
export const releaseOf = (requestId: string, release: Partial<RdsRelease> = {}): RdsRelease => {
  const { request } = approvalOf(requestId);
  return rdsReleaseSchema.parse({
    requestId,
    request,
    resource: { type: "rds", dbInstanceIdentifier: dbInstanceIdentifierOf(request), region: "us-east-1" },
    action: "snapshot-and-delete",
    reason: "lease-ended",
    requestedAt: "2030-01-08T10:00:00.000Z",
    ...release,
  });
};

/** An error as the SDK raises it for an RDS error answer with this code (it keeps the code as `Code`). */
export const rdsError = (code: string, fault: "client" | "server" = "client") =>
  Object.assign(
    new RDSServiceException({ name: code, $fault: fault, $metadata: {}, message: `${code} happened` }),
    { Code: code },
  );

/** RDS's answer to a CreateDBInstance whose identifier is taken in that region, as the SDK raises it. */
export const alreadyExistsError = () =>
  Object.assign(new DBInstanceAlreadyExistsFault({ $metadata: {}, message: "DB instance already exists" }), {
    Code: "DBInstanceAlreadyExists",
  });

/** RDS's answer about an instance it does not know (deleted, or never made), as the SDK raises it. */
export const notFoundError = () =>
  Object.assign(new DBInstanceNotFoundFault({ $metadata: {}, message: "DBInstance not found" }), {
    Code: "DBInstanceNotFound",
  });

/** An `aws.rds` event about this instance, as RDS publishes it on the default bus. */
export const dbInstanceEvent = (
  identifier: string,
  { category = "creation", message = "DB instance created", eventId = "RDS-EVENT-0005" } = {},
): DetailOf<typeof RdsDbInstanceEvent> => ({
  EventCategories: [category],
  SourceType: "DB_INSTANCE",
  SourceArn: `arn:aws:rds:us-east-1:000000000000:db:${identifier}`,
  SourceIdentifier: identifier,
  Date: "2030-01-01T10:09:00.000Z",
  Message: message,
  EventID: eventId,
});

/** DescribeDBInstances' answer for one instance of this request in this status, as RDS gives it. */
export const describedAs = (
  identifier: string,
  requestId: string,
  status: string,
  { region = "us-east-1" } = {},
) => ({
  DBInstances: [
    {
      DBInstanceIdentifier: identifier,
      DBInstanceArn: `arn:aws:rds:${region}:000000000000:db:${identifier}`,
      DBInstanceStatus: status,
      ...(status !== "creating" && {
        Endpoint: { Address: `${identifier}.abcdefghijkl.${region}.rds.amazonaws.com`, Port: 5432 },
      }),
      MasterUserSecret: {
        SecretArn: `arn:aws:secretsmanager:${region}:000000000000:secret:rds!db-${identifier}-AbCdEf`,
        SecretStatus: "active",
      },
      TagList: [{ Key: "RequestId", Value: requestId }],
    },
  ],
});

export const FIXED_NOW = new Date("2030-01-01T10:00:05.000Z");

/** The reaper's delays in handler tests: three checks, 30 s, 1 min and 2 min after each other. */
export const RELEASE_CHECK_DELAYS_MS = [30_000, 60_000, 120_000];

/**
 * The launcher's dependencies for handler tests: the store on dynalite with the launcher's tables, the
 * real RDS gateway over the SDK clients `clientIn` makes (one per region), a recording publisher, and
 * schedules kept in memory.
 */
const startTestbed = async (clientIn: (region: string) => RDSClient) => {
  const dynamo: TestDynamo = await startTestDynamo(tables);
  const store = createCreationStore(
    dynamo.document,
    creationsTable.id,
    testIdempotency(dynamo, idempotencyTable.id, "rds-launcher"),
  );
  const rds = createRdsGateway(clientPerRegion(clientIn));
  const freshDeps = (now: () => Date = () => FIXED_NOW) => {
    const { bus, deps } = handlerDepsWith({ store, rds, now });
    const schedules = recordingSchedules();
    return {
      bus,
      schedules,
      deps: { ...deps, schedules, releaseCheckDelaysMs: RELEASE_CHECK_DELAYS_MS },
    };
  };
  return { store, freshDeps, closeStore: () => dynamo.close() };
};

/** The testbed with RDS's answers mocked, on every client whichever region it was made for. */
export const startLauncherTestbed = async () => {
  // Mocks every RDSClient, so each region's client the gateway makes answers from the same mock.
  const rdsMock = mockClient(RDSClient);
  const testbed = await startTestbed(
    (region) => new RDSClient({ region, credentials: { accessKeyId: "test", secretAccessKey: "test" } }),
  );
  /** The region each call of this command was sent to, in order. */
  const regionsOf = async (command: Parameters<typeof rdsMock.commandCalls>[0]) =>
    Promise.all(rdsMock.commandCalls(command).map((call) => (call.thisValue as RDSClient).config.region()));
  return {
    ...testbed,
    rdsMock,
    regionsOf,
    close: async () => {
      rdsMock.restore();
      await testbed.closeStore();
    },
  };
};

/**
 * The testbed on the real local RDS behind the local edge, where the launcher signs as the stack's
 * services do. A deletion takes two seconds, so that a check made at once finds the instance still deleting.
 */
export const startLocalRdsTestbed = async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "rds-launcher-"));
  const rds = await startLocalRdsAtEdge(dataDir, { deleteDelayMs: 2_000 });
  const testbed = await startTestbed((region) => rds.clientAs(TEST_SERVICES_PRINCIPAL, region));
  return {
    ...testbed,
    events: rds.events,
    clientAs: rds.clientAs,
    close: async () => {
      await testbed.closeStore();
      await rds.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};
