import "../../../test/support/service-environment.ts";
import { DeleteDBInstanceCommand, DescribeDBInstancesCommand } from "@aws-sdk/client-rds";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LAUNCHER_SOURCES } from "../../../events/launched-resource.ts";
import { ReleaseFailed, ResourceReleased } from "../../../events/lease-events.ts";
import type { RdsRelease } from "../domain.ts";
import {
  describedAs,
  FIXED_NOW,
  notFoundError,
  rdsError,
  releaseOf,
  startLauncherTestbed,
} from "../testing/fixtures.ts";
import { createReleaseCheckHandler } from "./on-release-check.ts";
import { createReleaseRequestedHandler } from "./on-release-requested.ts";

describe("rds-launcher's reaper on ReleaseCheckDue", () => {
  let testbed: Awaited<ReturnType<typeof startLauncherTestbed>>;
  beforeAll(async () => {
    testbed = await startLauncherTestbed();
  });
  afterAll(() => testbed.close());
  beforeEach(() => testbed.rdsMock.reset());

  const setUp = () => {
    const { bus, schedules, deps } = testbed.freshDeps();
    return {
      bus,
      schedules,
      check: createReleaseCheckHandler(deps),
      release: createReleaseRequestedHandler(deps),
    };
  };
  /** The release as the launcher recorded it, its instance's deletion accepted; the reaper to check it. */
  const released = async (requestId: string, overrides: Partial<RdsRelease> = {}) => {
    const setup = setUp();
    const release = releaseOf(requestId, overrides);
    testbed.rdsMock.on(DeleteDBInstanceCommand).resolves({});
    await setup.release(release);
    testbed.rdsMock.reset();
    return {
      ...setup,
      release,
      /** The ReleaseRequested handler, over the same bus and schedules. */
      handleRelease: setup.release,
      identifier: release.resource.dbInstanceIdentifier,
    };
  };
  const checkOf = (requestId: string, attempt: number) => ({
    requestId,
    resourceType: "rds" as const,
    attempt,
    dueAt: FIXED_NOW.toISOString(),
  });
  const deleteCalls = () => testbed.rdsMock.commandCalls(DeleteDBInstanceCommand);

  it("reports the instance released with its final snapshot once RDS no longer knows it, once however often checked", async () => {
    const { bus, check, release, identifier } = await released("gone", {
      reason: "released-by-requester",
      by: { email: "ana@example.com" },
    });
    testbed.rdsMock.on(DescribeDBInstancesCommand).rejects(notFoundError());

    await check(checkOf("gone", 1));
    await check(checkOf("gone", 2));

    expect(bus.published).toEqual([
      {
        detailType: ResourceReleased.detailType,
        source: LAUNCHER_SOURCES.rds,
        detail: {
          requestId: "gone",
          request: release.request,
          resource: release.resource,
          action: "snapshot-and-delete",
          outcome: "deleted",
          reason: "released-by-requester",
          by: { email: "ana@example.com" },
          finalSnapshotIdentifier: `${identifier}-final-20300108100000`,
          releaseRequestedAt: release.requestedAt,
          releasedAt: FIXED_NOW.toISOString(),
        },
      },
    ]);
    expect(testbed.rdsMock.commandCalls(DescribeDBInstancesCommand)).toHaveLength(1);
  });

  it("names no snapshot when the instance went without one", async () => {
    const { bus, check } = await released("gone-without-snapshot", { action: "delete-without-snapshot" });
    testbed.rdsMock.on(DescribeDBInstancesCommand).rejects(notFoundError());

    await check(checkOf("gone-without-snapshot", 1));

    expect(bus.detailsOf(ResourceReleased)[0]).not.toHaveProperty("finalSnapshotIdentifier");
  });

  it("counts an instance of the identifier tagged for another request as the request's own gone", async () => {
    const { bus, check, identifier } = await released("identifier-reused");
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves(describedAs(identifier, "someone-else", "available"));

    await check(checkOf("identifier-reused", 1));

    expect(bus.detailsOf(ResourceReleased)).toHaveLength(1);
    expect(deleteCalls()).toEqual([]);
  });

  it("waits for an instance being deleted: the next check after the next delay, no second deletion", async () => {
    const { bus, schedules, check, identifier } = await released("still-deleting");
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves(describedAs(identifier, "still-deleting", "deleting"));

    await check(checkOf("still-deleting", 1));

    expect(bus.published).toEqual([]);
    expect(deleteCalls()).toEqual([]);
    expect(schedules.made.at(-1)).toMatchObject({
      name: "still-deleting.release-check-2",
      at: new Date(FIXED_NOW.getTime() + 60_000),
      detail: { attempt: 2 },
    });
  });

  it("deletes again an instance still available (the deletion did not take), with the same final snapshot", async () => {
    const { schedules, check, identifier } = await released("did-not-take");
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves(describedAs(identifier, "did-not-take", "available"));
    testbed.rdsMock.on(DeleteDBInstanceCommand).resolves({});

    await check(checkOf("did-not-take", 1));

    expect(deleteCalls().map((call) => call.args[0].input)).toEqual([
      {
        DBInstanceIdentifier: identifier,
        FinalDBSnapshotIdentifier: `${identifier}-final-20300108100000`,
        DeleteAutomatedBackups: false,
      },
    ]);
    expect(schedules.pending.has("did-not-take.release-check-2")).toBe(true);
  });

  it("fails the release once after the last check finds the instance still there, naming RDS's last refusal", async () => {
    const { bus, check, release, identifier } = await released("never-goes");
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves(describedAs(identifier, "never-goes", "available"));
    testbed.rdsMock.on(DeleteDBInstanceCommand).rejects(rdsError("InvalidParameterCombination"));

    await check(checkOf("never-goes", 1));
    await check(checkOf("never-goes", 2));
    await check(checkOf("never-goes", 3));
    await check(checkOf("never-goes", 3));

    expect(bus.published).toEqual([
      {
        detailType: ReleaseFailed.detailType,
        source: LAUNCHER_SOURCES.rds,
        detail: {
          requestId: "never-goes",
          request: release.request,
          resource: release.resource,
          action: "snapshot-and-delete",
          reason: "lease-ended",
          problem: `DB instance ${identifier} is still available after 3 checks; RDS refused to delete the DB instance (InvalidParameterCombination): InvalidParameterCombination happened`,
          kept: false,
          attempts: 3,
          releaseRequestedAt: release.requestedAt,
          failedAt: FIXED_NOW.toISOString(),
        },
      },
    ]);
    // Deleted again at the checks that had a next one to confirm it; not at the last.
    expect(deleteCalls()).toHaveLength(2);
  });

  it("takes a release asked again after one failed as a new one, with a snapshot of its own, reported once more", async () => {
    const { bus, check, handleRelease, release, identifier } = await released("asked-again");
    testbed.rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves(describedAs(identifier, "asked-again", "available"));
    await check(checkOf("asked-again", 3));
    testbed.rdsMock.reset();
    testbed.rdsMock.on(DeleteDBInstanceCommand).resolves({});
    const again = {
      ...release,
      reason: "released-by-operator" as const,
      requestedAt: "2030-01-09T12:00:00.000Z",
    };

    await handleRelease(again);
    await handleRelease(again);
    await handleRelease(release);
    testbed.rdsMock.on(DescribeDBInstancesCommand).rejects(notFoundError());
    await check(checkOf("asked-again", 1));
    await check(checkOf("asked-again", 1));

    // Each delivery while the new release is under way deletes again, as the new release asks.
    expect(new Set(deleteCalls().map((call) => call.args[0].input.FinalDBSnapshotIdentifier))).toEqual(
      new Set([`${identifier}-final-20300109120000`]),
    );
    expect(bus.published.map((event) => event.detailType)).toEqual([
      ReleaseFailed.detailType,
      ResourceReleased.detailType,
    ]);
    expect(bus.detailsOf(ResourceReleased)).toMatchObject([
      { reason: "released-by-operator", finalSnapshotIdentifier: `${identifier}-final-20300109120000` },
    ]);
    expect(bus.detailsOf(ReleaseFailed)).toMatchObject([{ reason: "lease-ended", attempts: 3 }]);
  });

  it("does nothing for a check of a request with no release recorded", async () => {
    const { bus, schedules, check } = setUp();

    await check(checkOf("never-released", 1));

    expect(bus.published).toEqual([]);
    expect(schedules.made).toEqual([]);
    expect(testbed.rdsMock.commandCalls(DescribeDBInstancesCommand)).toEqual([]);
  });
});
