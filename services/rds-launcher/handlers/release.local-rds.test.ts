import "../../../test/support/service-environment.ts";
import {
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ListTagsForResourceCommand,
} from "@aws-sdk/client-rds";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResourceReleased } from "../../../events/lease-events.ts";
import { RDS_EVENT_IDS } from "../../../events/rds-instance-event.ts";
import { TEST_SERVICES_PRINCIPAL } from "../../../test/support/local-events.ts";
import { waitUntil } from "../../../test/support/wait.ts";
import { dbInstanceIdentifierOf, rdsLeaseChangeSchema } from "../domain.ts";
import { approvalOf, FIXED_NOW, releaseOf, SETTINGS, startLocalRdsTestbed } from "../testing/fixtures.ts";
import { createDbInstanceEventHandler } from "./on-db-instance-event.ts";
import { createLeaseChangedHandler } from "./on-lease-changed.ts";
import { createReleaseCheckHandler } from "./on-release-check.ts";
import { createReleaseRequestedHandler } from "./on-release-requested.ts";
import { createRequestApprovedHandler } from "./on-request-approved.ts";

/** The launcher's lease and release handlers against the real local RDS: what they ask is what RDS then does. */
describe("rds-launcher's leases and releases, on the local RDS", () => {
  let testbed: Awaited<ReturnType<typeof startLocalRdsTestbed>>;
  beforeAll(async () => {
    testbed = await startLocalRdsTestbed();
  });
  afterAll(() => testbed.close());

  const rds = () => testbed.clientAs(TEST_SERVICES_PRINCIPAL, "us-east-1");
  const statusOf = async (identifier: string) => {
    try {
      const { DBInstances = [] } = await rds().send(
        new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }),
      );
      return DBInstances[0]?.DBInstanceStatus;
    } catch (error) {
      if ((error as Error).name === "DBInstanceNotFoundFault") return "gone";
      throw error;
    }
  };
  /** The request's instance, created by the launcher (MySQL: state only, nothing to start) and available. */
  const available = async (requestId: string) => {
    const { deps } = testbed.freshDeps();
    const approval = approvalOf(requestId, { engine: "mysql", engineVersion: "8.0.42" });
    await createRequestApprovedHandler({ ...deps, settings: SETTINGS })(approval);
    const identifier = dbInstanceIdentifierOf(approval.request);
    await waitUntil(async () => expect(await statusOf(identifier)).toBe("available"));
    return identifier;
  };
  const setUp = () => {
    const { bus, deps } = testbed.freshDeps();
    return {
      bus,
      release: createReleaseRequestedHandler(deps),
      check: createReleaseCheckHandler(deps),
      leaseChanged: createLeaseChangedHandler(deps),
      rdsEvent: createDbInstanceEventHandler(deps),
    };
  };
  /** The events the local RDS published about this instance, with this id. */
  const eventsOf = (identifier: string, eventId: string) =>
    testbed.events
      .map(({ detail }) => detail)
      .filter((detail) => detail.SourceIdentifier === identifier && detail.EventID === eventId);
  const checkOf = (requestId: string, attempt: number) => ({
    requestId,
    resourceType: "rds" as const,
    attempt,
    dueAt: FIXED_NOW.toISOString(),
  });

  it("tags the instance ExpiresAt beside its creation tags", async () => {
    const identifier = await available("tagged-db");
    const { request, resource } = releaseOf("tagged-db");

    await setUp().leaseChanged(
      rdsLeaseChangeSchema.parse({
        requestId: "tagged-db",
        request,
        resource,
        terms: { duration: "P7D", onEnd: "snapshot-and-delete", max: "P90D" },
        startedAt: "2030-01-01T10:00:00.000Z",
        endsAt: "2030-01-08T10:00:00.000Z",
      }),
    );

    const { TagList = [] } = await rds().send(
      new ListTagsForResourceCommand({ ResourceName: `arn:aws:rds:us-east-1:000000000000:db:${identifier}` }),
    );
    expect(Object.fromEntries(TagList.map((tag) => [tag.Key, tag.Value]))).toMatchObject({
      RequestId: "tagged-db",
      ExpiresAt: "2030-01-08T10:00:00.000Z",
    });
  });

  it("deletes the instance with a final snapshot RDS takes, waits while it is deleting, and reports it released once gone", async () => {
    const identifier = await available("released-db");
    const { bus, release, check } = setUp();

    await release(releaseOf("released-db"));
    expect(await statusOf(identifier)).toBe("deleting");
    await check(checkOf("released-db", 1));
    expect(bus.published).toEqual([]);

    await waitUntil(async () => expect(await statusOf(identifier)).toBe("gone"));
    await check(checkOf("released-db", 2));

    expect(bus.detailsOf(ResourceReleased)).toMatchObject([
      { outcome: "deleted", finalSnapshotIdentifier: `${identifier}-final-20300108100000` },
    ]);
    await waitUntil(() =>
      expect(testbed.events.map(({ detail }) => [detail.SourceIdentifier, detail.EventID])).toContainEqual([
        identifier,
        RDS_EVENT_IDS.deleted,
      ]),
    );
  });

  it("reports an instance deleted outside this tool while its lease ran released, reason ended-outside, from RDS's deletion event", async () => {
    const identifier = await available("deleted-outside-db");
    const { bus, rdsEvent } = setUp();
    await waitUntil(() => expect(eventsOf(identifier, RDS_EVENT_IDS.created)).toHaveLength(1));
    for (const event of eventsOf(identifier, RDS_EVENT_IDS.created)) await rdsEvent(event);

    await rds().send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: identifier, SkipFinalSnapshot: true }),
    );
    await waitUntil(() => expect(eventsOf(identifier, RDS_EVENT_IDS.deleted)).toHaveLength(1));
    for (const event of eventsOf(identifier, RDS_EVENT_IDS.deleted)) await rdsEvent(event);

    expect(bus.detailsOf(ResourceReleased)).toMatchObject([
      {
        requestId: "deleted-outside-db",
        resource: { type: "rds", dbInstanceIdentifier: identifier, region: "us-east-1" },
        action: "delete-without-snapshot",
        reason: "ended-outside",
        outcome: "deleted",
      },
    ]);
    expect(bus.detailsOf(ResourceReleased)[0]).not.toHaveProperty("releaseRequestedAt");
  });
});
