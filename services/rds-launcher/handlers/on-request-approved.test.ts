import "../../../test/support/service-environment.ts";
import { IdempotencyAlreadyInProgressError } from "@aws-lambda-powertools/idempotency";
import { CreateDBInstanceCommand, DescribeDBInstancesCommand } from "@aws-sdk/client-rds";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LAUNCHER_SOURCES } from "../../../events/launched-resource.ts";
import { ProvisioningFailed } from "../../../events/provisioning-failed.ts";
import { ProvisioningStarted } from "../../../events/provisioning-started.ts";
import { RequestApproved } from "../../../events/request-approved.ts";
import { envelopeOf, sampleRequest } from "../../../test/support/fixtures.ts";
import { deliverTogetherThenRetryFailures, invocationEndingIn } from "../../../test/support/idempotency.ts";
import {
  buildCreateDbInstanceInput,
  CREATION_CHECK_DELAY_MS,
  type CreationSettings,
  dbInstanceIdentifierOf,
  identifierTakenReason,
} from "../domain.ts";
import {
  APPROVER,
  alreadyExistsError,
  approvalOf,
  describedAs,
  FIXED_NOW,
  rdsError,
  SETTINGS,
  startLauncherTestbed,
} from "../testing/fixtures.ts";
import { createRequestApprovedHandler, handler } from "./on-request-approved.ts";

describe("rds-launcher on RequestApproved", () => {
  let testbed: Awaited<ReturnType<typeof startLauncherTestbed>>;
  beforeAll(async () => {
    testbed = await startLauncherTestbed();
  });
  afterAll(() => testbed.close());
  beforeEach(() => testbed.rdsMock.reset());

  const setUp = (settings: CreationSettings = SETTINGS) => {
    const { bus, deps } = testbed.freshDeps();
    return { bus, handle: createRequestApprovedHandler({ ...deps, settings }) };
  };
  const createCalls = () =>
    testbed.rdsMock.commandCalls(CreateDBInstanceCommand).map((call) => call.args[0].input);
  const identifierOf = (approval: ReturnType<typeof approvalOf>) => dbInstanceIdentifierOf(approval.request);
  /** RDS refuses the creation, the identifier being taken, and describes the instance holding it. */
  const identifierHeldBy = (approval: ReturnType<typeof approvalOf>, requestId: string, status: string) =>
    testbed.rdsMock
      .on(CreateDBInstanceCommand)
      .rejects(alreadyExistsError())
      .on(DescribeDBInstancesCommand)
      .resolves(describedAs(identifierOf(approval), requestId, status));

  it("creates the requested instance in the request's region, announces it once under its own source, and puts it on the sweeper's list", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("create-once", {}, { region: "eu-west-1" });
    testbed.rdsMock.on(CreateDBInstanceCommand).resolves({});

    await handle(approval);

    expect(createCalls()).toEqual([buildCreateDbInstanceInput(approval.request, APPROVER, SETTINGS)]);
    expect(await testbed.regionsOf(CreateDBInstanceCommand)).toEqual(["eu-west-1"]);
    expect(bus.published).toEqual([
      {
        detailType: ProvisioningStarted.detailType,
        source: LAUNCHER_SOURCES.rds,
        detail: {
          requestId: "create-once",
          request: approval.request,
          approver: APPROVER,
          dbInstanceIdentifier: identifierOf(approval),
          startedAt: FIXED_NOW.toISOString(),
        },
      },
    ]);
    expect(await testbed.store.findByIdentifier(identifierOf(approval))).toMatchObject({
      requestId: "create-once",
      region: "eu-west-1",
      creatingSince: FIXED_NOW.toISOString(),
    });
    expect(
      await testbed.store.listUnsettled(new Date(FIXED_NOW.getTime() + CREATION_CHECK_DELAY_MS)),
    ).toContainEqual(expect.objectContaining({ requestId: "create-once" }));
  });

  it("creates a request that names no region in the stack's own region", async () => {
    const { handle } = setUp({ ...SETTINGS, homeRegion: "ap-southeast-2" });
    testbed.rdsMock.on(CreateDBInstanceCommand).resolves({});

    await handle(approvalOf("no-region", {}, { region: undefined }));

    expect(await testbed.regionsOf(CreateDBInstanceCommand)).toEqual(["ap-southeast-2"]);
  });

  it("announces one ProvisioningStarted and asks RDS once when the approval is delivered again and again", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("redelivered");
    testbed.rdsMock.on(CreateDBInstanceCommand).resolves({});

    await handle(approval);
    await handle(approval);
    await handle(approval);

    expect(bus.detailsOf(ProvisioningStarted)).toHaveLength(1);
    expect(createCalls()).toHaveLength(1);
  });

  it("announces one ProvisioningStarted for concurrent copies and their retries, every creation on the same identifier", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("concurrent");
    testbed.rdsMock
      .on(CreateDBInstanceCommand)
      .resolvesOnce({})
      .rejects(alreadyExistsError())
      .on(DescribeDBInstancesCommand)
      .resolves(describedAs(identifierOf(approval), "concurrent", "creating"));

    const failures = await deliverTogetherThenRetryFailures(handle, [approval, approval, approval]);

    expect(failures.filter((failure) => !(failure instanceof IdempotencyAlreadyInProgressError))).toEqual([]);
    expect(bus.detailsOf(ProvisioningStarted)).toHaveLength(1);
    expect(bus.detailsOf(ProvisioningFailed)).toEqual([]);
    expect(new Set(createCalls().map((input) => input.DBInstanceIdentifier))).toEqual(
      new Set([identifierOf(approval)]),
    );
  });

  it("takes the instance an earlier, crashed delivery created as its own, by its RequestId tag", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("crashed-after-create");
    identifierHeldBy(approval, "crashed-after-create", "creating");

    await handle(approval);

    expect(bus.detailsOf(ProvisioningStarted).map((detail) => detail.dbInstanceIdentifier)).toEqual([
      identifierOf(approval),
    ]);
    expect(bus.detailsOf(ProvisioningFailed)).toEqual([]);
    expect((await testbed.store.get("crashed-after-create"))?.creatingSince).toBe(FIXED_NOW.toISOString());
  });

  it("fails the request once, without asking RDS again, when another request's instance holds its identifier", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("identifier-taken");
    identifierHeldBy(approval, "someone-else", "available");

    await handle(approval);
    await handle(approval);

    expect(bus.published).toEqual([
      {
        detailType: ProvisioningFailed.detailType,
        source: LAUNCHER_SOURCES.rds,
        detail: {
          requestId: "identifier-taken",
          request: approval.request,
          dbInstanceIdentifier: identifierOf(approval),
          errorCode: "DBInstanceAlreadyExists",
          reason: identifierTakenReason(identifierOf(approval)),
          failedAt: FIXED_NOW.toISOString(),
        },
      },
    ]);
    expect(createCalls()).toHaveLength(1);
  });

  it.each([
    ["a parameter RDS refuses", "InvalidParameterValue"],
    ["a class the region does not offer", "InvalidParameterCombination"],
    ["the account's instance quota reached", "InstanceQuotaExceeded"],
    ["a subnet group that does not exist", "DBSubnetGroupNotFoundFault"],
  ])("fails the request at once, and only once, for %s", async (_, code) => {
    const { bus, handle } = setUp();
    const approval = approvalOf(`refused-${code}`);
    testbed.rdsMock.on(CreateDBInstanceCommand).rejects(rdsError(code));

    await handle(approval);
    await handle(approval);

    expect(bus.published).toEqual([
      {
        detailType: ProvisioningFailed.detailType,
        source: LAUNCHER_SOURCES.rds,
        detail: {
          requestId: `refused-${code}`,
          request: approval.request,
          dbInstanceIdentifier: identifierOf(approval),
          errorCode: code,
          reason: `RDS refused to create the DB instance (${code}): ${code} happened`,
          failedAt: FIXED_NOW.toISOString(),
        },
      },
    ]);
    expect(createCalls()).toHaveLength(1);
    expect(await testbed.store.listUnsettled(new Date("2100-01-01T00:00:00.000Z"))).not.toContainEqual(
      expect.objectContaining({ requestId: `refused-${code}` }),
    );
  });

  it.each([
    ["throttled", rdsError("Throttling")],
    ["out of capacity", rdsError("InsufficientDBInstanceCapacity")],
    ["failing inside", rdsError("InternalFailure", "server")],
    ["unreachable", new Error("connect ECONNREFUSED 127.0.0.1:4566")],
  ])("throws for the bus to retry when RDS is %s, then creates on the retry", async (situation, error) => {
    const { bus, handle } = setUp();
    const approval = approvalOf(`retry-when-${situation.replaceAll(" ", "-")}`);
    testbed.rdsMock.on(CreateDBInstanceCommand).rejectsOnce(error).resolves({});

    await expect(handle(approval)).rejects.toBe(error);
    expect(bus.published).toEqual([]);

    await handle(approval);
    expect(bus.detailsOf(ProvisioningStarted)).toHaveLength(1);
    expect(createCalls()).toHaveLength(2);
  });

  it("announces the creation on the retry when the bus refused the first announcement, without creating again", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("bus-down");
    testbed.rdsMock.on(CreateDBInstanceCommand).resolves({});
    bus.failNext();

    await expect(handle(approval)).rejects.toThrow("EventBridge is unreachable");
    await handle(approval);

    expect(bus.detailsOf(ProvisioningStarted)).toHaveLength(1);
    expect(createCalls()).toHaveLength(1);
  });

  it("refuses, as wired, an approval of another resource type before asking RDS anything", async () => {
    const ec2Approval = {
      ...approvalOf("not-a-database"),
      request: sampleRequest({ requestId: "not-a-database" }),
    };

    const delivery = handler(envelopeOf(RequestApproved, ec2Approval) as never, invocationEndingIn(5000));

    await expect(delivery).rejects.toMatchObject({ name: "ParseError" });
    expect(createCalls()).toEqual([]);
  });
});
