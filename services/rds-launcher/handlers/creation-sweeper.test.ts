import "../../../test/support/service-environment.ts";
import { CreateDBInstanceCommand, DescribeDBInstancesCommand } from "@aws-sdk/client-rds";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProvisioningFailed } from "../../../events/provisioning-failed.ts";
import { ResourceProvisioned } from "../../../events/resource-provisioned.ts";
import { manualClock } from "../../../test/support/fakes.ts";
import { CREATION_CHECK_DELAY_MS, dbInstanceIdentifierOf } from "../domain.ts";
import { approvalOf, describedAs, FIXED_NOW, SETTINGS, startLauncherTestbed } from "../testing/fixtures.ts";
import { createCreationSweeperHandler } from "./creation-sweeper.ts";
import { createDbInstanceEventHandler } from "./on-db-instance-event.ts";
import { createRequestApprovedHandler } from "./on-request-approved.ts";

describe("rds-launcher creation sweeper", () => {
  let testbed: Awaited<ReturnType<typeof startLauncherTestbed>>;
  beforeAll(async () => {
    testbed = await startLauncherTestbed();
  });
  afterAll(() => testbed.close());
  beforeEach(() => testbed.rdsMock.reset());

  /**
   * A sweeper whose clock stands where it is told, over a store that each test fills with creations
   * of its own; the clock starts long after every earlier test's creations were due, which the
   * sweeper then settles too, so tests look only at their own requests' events.
   */
  const setUp = () => {
    const clock = manualClock(FIXED_NOW);
    const { bus, deps } = testbed.freshDeps(clock.now);
    return { bus, clock, sweep: createCreationSweeperHandler(deps), deps };
  };
  const created = async (requestId: string) => {
    const approval = approvalOf(requestId);
    testbed.rdsMock.on(CreateDBInstanceCommand).resolves({});
    const { deps } = testbed.freshDeps();
    await createRequestApprovedHandler({ ...deps, settings: SETTINGS })(approval);
    return dbInstanceIdentifierOf(approval.request);
  };
  const ofRequest = (requestId: string) => (detail: { requestId: string }) => detail.requestId === requestId;

  it("settles a creation whose event was lost once its check is due, and only then", async () => {
    const identifier = await created("event-lost");
    const { bus, clock, sweep } = setUp();
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves(describedAs(identifier, "event-lost", "available"));

    clock.advance(CREATION_CHECK_DELAY_MS / 1000 - 1);
    await sweep();
    expect(bus.detailsOf(ResourceProvisioned).filter(ofRequest("event-lost"))).toEqual([]);

    clock.advance(1);
    await sweep();
    await sweep();
    expect(bus.detailsOf(ResourceProvisioned).filter(ofRequest("event-lost"))).toHaveLength(1);
    expect(await testbed.store.listUnsettled(clock.now())).not.toContainEqual(
      expect.objectContaining({ requestId: "event-lost" }),
    );
  });

  it("keeps checking a creation that is still on its way, and fails it when it ends failed", async () => {
    const identifier = await created("slow-then-failed");
    const { bus, clock, sweep } = setUp();
    clock.advance(CREATION_CHECK_DELAY_MS / 1000);
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolvesOnce(describedAs(identifier, "slow-then-failed", "creating"))
      .resolves(describedAs(identifier, "slow-then-failed", "failed"));

    await sweep();
    expect(bus.detailsOf(ProvisioningFailed).filter(ofRequest("slow-then-failed"))).toEqual([]);

    await sweep();
    expect(bus.detailsOf(ProvisioningFailed).filter(ofRequest("slow-then-failed"))).toHaveLength(1);
  });

  it("leaves alone a creation an event settled, asking RDS nothing about it", async () => {
    const identifier = await created("event-arrived");
    const { bus, clock, sweep, deps } = setUp();
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves(describedAs(identifier, "event-arrived", "available"));
    await createDbInstanceEventHandler(deps)({
      EventCategories: ["creation"],
      SourceType: "DB_INSTANCE",
      SourceArn: `arn:aws:rds:us-east-1:000000000000:db:${identifier}`,
      SourceIdentifier: identifier,
      Date: FIXED_NOW.toISOString(),
      Message: "DB instance created",
    });
    testbed.rdsMock.resetHistory();

    clock.advance(CREATION_CHECK_DELAY_MS / 1000);
    await sweep();

    expect(bus.detailsOf(ResourceProvisioned).filter(ofRequest("event-arrived"))).toHaveLength(1);
    expect(
      testbed.rdsMock
        .commandCalls(DescribeDBInstancesCommand)
        .filter((call) => call.args[0].input.DBInstanceIdentifier === identifier),
    ).toEqual([]);
  });

  it("checks every due creation even when one fails, then fails the run", async () => {
    const broken = await created("describe-breaks");
    const fine = await created("describe-works");
    const { bus, clock, sweep } = setUp();
    clock.advance(CREATION_CHECK_DELAY_MS / 1000);
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [] })
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: broken })
      .rejects(new Error("connect ECONNREFUSED 127.0.0.1:4566"))
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: fine })
      .resolves(describedAs(fine, "describe-works", "available"));

    await expect(sweep()).rejects.toMatchObject({ name: "SweepError" });

    expect(bus.detailsOf(ResourceProvisioned).filter(ofRequest("describe-works"))).toHaveLength(1);
  });
});
