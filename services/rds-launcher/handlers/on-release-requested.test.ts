import "../../../test/support/service-environment.ts";
import { DeleteDBInstanceCommand } from "@aws-sdk/client-rds";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ReleaseCheckDue } from "../../../events/lease-events.ts";
import { FIXED_NOW, notFoundError, rdsError, releaseOf, startLauncherTestbed } from "../testing/fixtures.ts";
import { createReleaseRequestedHandler } from "./on-release-requested.ts";

describe("rds-launcher on ReleaseRequested", () => {
  let testbed: Awaited<ReturnType<typeof startLauncherTestbed>>;
  beforeAll(async () => {
    testbed = await startLauncherTestbed();
  });
  afterAll(() => testbed.close());
  beforeEach(() => testbed.rdsMock.reset());

  const setUp = () => {
    const { bus, schedules, deps } = testbed.freshDeps();
    const handle = createReleaseRequestedHandler(deps);
    return { bus, schedules, handle };
  };
  const deleteInputs = () =>
    testbed.rdsMock.commandCalls(DeleteDBInstanceCommand).map((call) => call.args[0].input);

  it("deletes the instance with a final snapshot named after it and the release's time, keeping its automated backups, and has the reaper look after the first delay", async () => {
    const { bus, schedules, handle } = setUp();
    const release = releaseOf("ends-with-snapshot");
    testbed.rdsMock.on(DeleteDBInstanceCommand).resolves({});

    await handle(release);

    const identifier = release.resource.dbInstanceIdentifier;
    expect(deleteInputs()).toEqual([
      {
        DBInstanceIdentifier: identifier,
        FinalDBSnapshotIdentifier: `${identifier}-final-20300108100000`,
        DeleteAutomatedBackups: false,
      },
    ]);
    expect(schedules.made).toEqual([
      {
        name: "ends-with-snapshot.release-check-1",
        at: new Date(FIXED_NOW.getTime() + 30_000),
        detailType: ReleaseCheckDue.detailType,
        detail: {
          requestId: "ends-with-snapshot",
          resourceType: "rds",
          attempt: 1,
          dueAt: new Date(FIXED_NOW.getTime() + 30_000).toISOString(),
        },
      },
    ]);
    // Nothing is reported before the reaper has looked.
    expect(bus.published).toEqual([]);
  });

  it("deletes without a snapshot only when the policy says so", async () => {
    const { handle } = setUp();
    const release = releaseOf("no-snapshot", { action: "delete-without-snapshot" });
    testbed.rdsMock.on(DeleteDBInstanceCommand).resolves({});

    await handle(release);

    expect(deleteInputs()).toEqual([
      {
        DBInstanceIdentifier: release.resource.dbInstanceIdentifier,
        SkipFinalSnapshot: true,
        DeleteAutomatedBackups: true,
      },
    ]);
  });

  it("keeps the first release asked for: a later one (another reason, another time) deletes as the first said", async () => {
    const { handle } = setUp();
    testbed.rdsMock.on(DeleteDBInstanceCommand).resolves({});

    await handle(releaseOf("asked-twice"));
    await handle(
      releaseOf("asked-twice", {
        action: "delete-without-snapshot",
        reason: "released-by-operator",
        requestedAt: "2030-01-09T00:00:00.000Z",
      }),
    );

    const [first, second] = deleteInputs();
    expect(second).toEqual(first);
    expect(first?.FinalDBSnapshotIdentifier).toMatch(/-final-20300108100000$/);
  });

  it.each([
    ["gone already", notFoundError()],
    ["being deleted already, or too busy for a snapshot now", rdsError("InvalidDBInstanceState")],
    ["protected against deletion", rdsError("InvalidParameterCombination")],
  ])("leaves an instance %s to the reaper's check, without throwing", async (_, error) => {
    const { bus, schedules, handle } = setUp();
    testbed.rdsMock.on(DeleteDBInstanceCommand).rejects(error);

    await handle(releaseOf(`left-to-the-reaper-${error.name}`));

    expect(schedules.made.map(({ name }) => name)).toEqual([
      `left-to-the-reaper-${error.name}.release-check-1`,
    ]);
    expect(bus.published).toEqual([]);
  });

  it("throws for the bus to retry when RDS is throttling, with the reaper's check already scheduled", async () => {
    const { schedules, handle } = setUp();
    const error = rdsError("Throttling");
    testbed.rdsMock.on(DeleteDBInstanceCommand).rejects(error);

    await expect(handle(releaseOf("throttled"))).rejects.toBe(error);
    expect(schedules.pending.has("throttled.release-check-1")).toBe(true);
  });
});
