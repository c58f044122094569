import "../../../test/support/service-environment.ts";
import { CreateDBInstanceCommand, DescribeDBInstancesCommand } from "@aws-sdk/client-rds";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LAUNCHER_SOURCES } from "../../../events/launched-resource.ts";
import { ResourceReleased } from "../../../events/lease-events.ts";
import { ProvisioningFailed } from "../../../events/provisioning-failed.ts";
import { ResourceProvisioned } from "../../../events/resource-provisioned.ts";
import { dbInstanceIdentifierOf } from "../domain.ts";
import {
  approvalOf,
  dbInstanceEvent,
  describedAs,
  FIXED_NOW,
  releaseOf,
  SETTINGS,
  startLauncherTestbed,
} from "../testing/fixtures.ts";
import { createDbInstanceEventHandler } from "./on-db-instance-event.ts";
import { createRequestApprovedHandler } from "./on-request-approved.ts";

describe("rds-launcher on an aws.rds DB instance event", () => {
  let testbed: Awaited<ReturnType<typeof startLauncherTestbed>>;
  beforeAll(async () => {
    testbed = await startLauncherTestbed();
  });
  afterAll(() => testbed.close());
  beforeEach(() => testbed.rdsMock.reset());

  /** A creation RDS accepted, as the approval handler leaves it; its identifier. */
  const created = async (requestId: string, region = "us-east-1") => {
    const approval = approvalOf(requestId, {}, { region });
    testbed.rdsMock.on(CreateDBInstanceCommand).resolves({});
    const { deps } = testbed.freshDeps();
    await createRequestApprovedHandler({ ...deps, settings: SETTINGS })(approval);
    return { approval, identifier: dbInstanceIdentifierOf(approval.request) };
  };
  const setUp = () => {
    const { bus, deps } = testbed.freshDeps();
    return { bus, handle: createDbInstanceEventHandler(deps) };
  };
  const describeCalls = () => testbed.rdsMock.commandCalls(DescribeDBInstancesCommand);

  it("provisions the request once the instance is described available, with its endpoint and password secret, once however often told", async () => {
    const { approval, identifier } = await created("becomes-available", "eu-west-1");
    const { bus, handle } = setUp();
    const answer = describedAs(identifier, "becomes-available", "available", { region: "eu-west-1" });
    testbed.rdsMock.on(DescribeDBInstancesCommand).resolves(answer);

    await handle(dbInstanceEvent(identifier));
    await handle(dbInstanceEvent(identifier));

    expect(bus.published).toEqual([
      {
        detailType: ResourceProvisioned.detailType,
        source: LAUNCHER_SOURCES.rds,
        detail: {
          requestId: "becomes-available",
          request: approval.request,
          database: {
            identifier,
            host: `${identifier}.abcdefghijkl.eu-west-1.rds.amazonaws.com`,
            port: 5432,
            masterUserSecretArn: answer.DBInstances[0]?.MasterUserSecret.SecretArn,
            databaseName: "orders",
          },
          provisionedAt: FIXED_NOW.toISOString(),
        },
      },
    ]);
    expect(await testbed.regionsOf(DescribeDBInstancesCommand)).toEqual(["eu-west-1"]);
  });

  it("counts the creation started, then succeeded once, with the time from RDS accepting it to available", async () => {
    const approval = approvalOf("counted-db");
    const identifier = dbInstanceIdentifierOf(approval.request);
    testbed.rdsMock.on(CreateDBInstanceCommand).resolves({});
    const approving = testbed.freshDeps().deps;
    await createRequestApprovedHandler({ ...approving, settings: SETTINGS })(approval);
    const { deps } = testbed.freshDeps();
    const handle = createDbInstanceEventHandler({
      ...deps,
      now: () => new Date(FIXED_NOW.getTime() + 60_000),
    });
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves(describedAs(identifier, "counted-db", "available"));

    await handle(dbInstanceEvent(identifier));
    await handle(dbInstanceEvent(identifier));

    expect(approving.metrics.recorded).toEqual([
      { metric: "ProvisioningStarted", value: 1, dimensions: { resourceType: "rds" } },
    ]);
    expect(deps.metrics.recorded).toEqual([
      { metric: "ProvisioningSucceeded", value: 1, dimensions: { resourceType: "rds" } },
      { metric: "TimeToProvision", value: 60_000 },
    ]);
  });

  it("counts an instance that ends before it was available as failed, once", async () => {
    const { identifier } = await created("counted-failure");
    const { deps } = testbed.freshDeps();
    const handle = createDbInstanceEventHandler(deps);
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves(describedAs(identifier, "counted-failure", "incompatible-network"));

    await handle(
      dbInstanceEvent(identifier, {
        category: "failure",
        message: "Incompatible",
        eventId: "RDS-EVENT-0036",
      }),
    );
    await handle(
      dbInstanceEvent(identifier, {
        category: "failure",
        message: "Incompatible",
        eventId: "RDS-EVENT-0036",
      }),
    );

    expect(deps.metrics.recorded).toEqual([
      { metric: "ProvisioningFailed", value: 1, dimensions: { resourceType: "rds" } },
    ]);
  });

  it("publishes nothing while the instance is still being created: a later event settles it", async () => {
    const { identifier } = await created("still-creating");
    const { bus, handle } = setUp();
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolvesOnce(describedAs(identifier, "still-creating", "creating"))
      .resolves(describedAs(identifier, "still-creating", "backing-up"));

    await handle(dbInstanceEvent(identifier));
    expect(bus.published).toEqual([]);

    await handle(dbInstanceEvent(identifier));
    expect(bus.detailsOf(ResourceProvisioned).map((detail) => detail.database?.identifier)).toEqual([
      identifier,
    ]);
  });

  it("fails the request once when the instance ends in a failed state, with what RDS said", async () => {
    const { approval, identifier } = await created("incompatible");
    const { bus, handle } = setUp();
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves(describedAs(identifier, "incompatible", "incompatible-network"));
    const event = dbInstanceEvent(identifier, {
      category: "failure",
      message: "The DB instance is in an incompatible network state",
      eventId: "RDS-EVENT-0036",
    });

    await handle(event);
    await handle(event);

    expect(bus.published).toEqual([
      {
        detailType: ProvisioningFailed.detailType,
        source: LAUNCHER_SOURCES.rds,
        detail: {
          requestId: "incompatible",
          request: approval.request,
          dbInstanceIdentifier: identifier,
          reason: `DB instance ${identifier} ended incompatible-network before it was ever available: The DB instance is in an incompatible network state`,
          failedAt: FIXED_NOW.toISOString(),
        },
      },
    ]);
  });

  it("fails the request when its instance was deleted before it was ever available", async () => {
    const { identifier } = await created("deleted-early");
    const { bus, handle } = setUp();
    testbed.rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });

    await handle(dbInstanceEvent(identifier, { category: "deletion", message: "DB instance deleted" }));

    expect(bus.detailsOf(ProvisioningFailed).map((detail) => detail.reason)).toEqual([
      `DB instance ${identifier} no longer exists: it was deleted before it was ever available`,
    ]);
  });

  it("asks RDS nothing once the creation is settled", async () => {
    const { identifier } = await created("settled-then-told-again");
    const { handle } = setUp();
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves(describedAs(identifier, "settled-then-told-again", "available"));
    await handle(dbInstanceEvent(identifier));

    await handle(dbInstanceEvent(identifier, { category: "failure", message: "storage full" }));

    expect(describeCalls()).toHaveLength(1);
  });

  it("ignores events of instances it did not create, without asking RDS", async () => {
    const { bus, handle } = setUp();

    await handle(dbInstanceEvent("someone-elses-db"));

    expect(bus.published).toEqual([]);
    expect(describeCalls()).toEqual([]);
  });

  it("leaves an instance of its identifier that is not the request's alone, before RDS accepted the request's own", async () => {
    const approval = approvalOf("never-created");
    const identifier = dbInstanceIdentifierOf(approval.request);
    await testbed.store.recordApproval({
      requestId: "never-created",
      request: approval.request,
      approver: approval.approver,
      region: "us-east-1",
      dbInstanceIdentifier: identifier,
    });
    const { bus, handle } = setUp();
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves(describedAs(identifier, "someone-else", "available"));

    await handle(dbInstanceEvent(identifier));

    expect(bus.published).toEqual([]);
  });

  it("throws for the bus to retry while RDS calls an instance available but gives no endpoint yet", async () => {
    const { identifier } = await created("no-endpoint-yet");
    const { bus, handle } = setUp();
    const { Endpoint: _, ...withoutEndpoint } = describedAs(identifier, "no-endpoint-yet", "available")
      .DBInstances[0] as object & { Endpoint: unknown };
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [withoutEndpoint] })
      .resolves(describedAs(identifier, "no-endpoint-yet", "available"));

    await expect(handle(dbInstanceEvent(identifier))).rejects.toThrow(
      /gives no endpoint or master user secret/,
    );
    expect(bus.published).toEqual([]);

    await handle(dbInstanceEvent(identifier));
    expect(bus.detailsOf(ResourceProvisioned)).toHaveLength(1);
  });

  /** A creation provisioned: RDS described its instance available and the launcher reported it. */
  const provisioned = async (requestId: string) => {
    const creation = await created(requestId);
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves(describedAs(creation.identifier, requestId, "available"));
    await setUp().handle(dbInstanceEvent(creation.identifier));
    return creation;
  };
  const deletionOf = (identifier: string) =>
    dbInstanceEvent(identifier, {
      category: "deletion",
      message: "DB instance deleted",
      eventId: "RDS-EVENT-0003",
    });

  it("reports an instance deleted outside this tool while its lease ran released, once, with reason ended-outside", async () => {
    const { approval, identifier } = await provisioned("deleted-outside");
    const { bus, handle } = setUp();
    testbed.rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });

    await handle(deletionOf(identifier));
    await handle(deletionOf(identifier));

    expect(bus.published).toEqual([
      {
        detailType: ResourceReleased.detailType,
        source: LAUNCHER_SOURCES.rds,
        detail: {
          requestId: "deleted-outside",
          request: approval.request,
          resource: { type: "rds", dbInstanceIdentifier: identifier, region: "us-east-1" },
          action: "delete-without-snapshot",
          reason: "ended-outside",
          outcome: "deleted",
          releasedAt: FIXED_NOW.toISOString(),
        },
      },
    ]);
  });

  it("leaves the deletion of an instance whose release is recorded to that release's checks", async () => {
    const { identifier } = await provisioned("deleted-by-release");
    const { bus, handle } = setUp();
    const { request, resource, action, reason, requestedAt } = releaseOf("deleted-by-release");
    await testbed.store.recordRelease("deleted-by-release", {
      request,
      resource,
      action,
      reason,
      requestedAt,
    });
    testbed.rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });

    await handle(deletionOf(identifier));

    expect(bus.published).toEqual([]);
  });

  it("takes a deletion RDS reports of an instance it still describes as no release", async () => {
    const { identifier } = await provisioned("deletion-told-early");
    const { bus, handle } = setUp();

    await handle(deletionOf(identifier));

    expect(bus.published).toEqual([]);
  });
});
