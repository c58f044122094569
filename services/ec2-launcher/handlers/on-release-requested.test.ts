import "../../../test/support/service-environment.ts";
import {
  DescribeInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ReleaseCheckDue, ReleaseFailed } from "../../../events/lease-events.ts";
import {
  ec2Error,
  FIXED_NOW,
  newInstanceId,
  RELEASE_REQUESTED_AT,
  releaseRequestOf,
  STACK_REGION,
  startLauncherTestbed,
} from "../testing/fixtures.ts";
import { createReleaseRequestedHandler } from "./on-release-requested.ts";

const OTHER_REGION = "eu-west-1";

describe("ec2-launcher on ReleaseRequested", () => {
  let testbed: Awaited<ReturnType<typeof startLauncherTestbed>>;
  beforeAll(async () => {
    testbed = await startLauncherTestbed();
  });
  afterAll(() => testbed.close());
  beforeEach(() => {
    testbed.resetEc2();
    for (const region of [STACK_REGION, OTHER_REGION]) {
      testbed.ec2MockIn(region).on(TerminateInstancesCommand).resolves({});
      testbed.ec2MockIn(region).on(StopInstancesCommand).resolves({});
    }
  });

  const setUp = () => {
    const { bus, schedules, deps } = testbed.freshDeps();
    return {
      bus,
      schedules,
      release: createReleaseRequestedHandler(deps),
      /** The reaper's check at this place, as its schedule delivers it. */
      check: (requestId: string, attempt: number) => deps.reaper.check({ requestId, attempt }),
    };
  };

  it("terminates the instance in its region, then has it checked after the first delay", async () => {
    const { schedules, release } = setUp();
    const instanceId = newInstanceId();

    await release(releaseRequestOf("ends", instanceId, { region: OTHER_REGION }));

    expect(
      testbed
        .ec2MockIn(OTHER_REGION)
        .commandCalls(TerminateInstancesCommand)
        .map((call) => call.args[0].input),
    ).toEqual([{ InstanceIds: [instanceId] }]);
    expect(testbed.ec2Mock.commandCalls(TerminateInstancesCommand)).toEqual([]);
    expect(schedules.made).toEqual([
      {
        name: "ends.release-check-1",
        at: new Date(FIXED_NOW.getTime() + 30_000),
        detailType: ReleaseCheckDue.detailType,
        detail: { requestId: "ends", resourceType: "ec2", attempt: 1, dueAt: "2030-01-01T10:00:35.000Z" },
      },
    ]);
  });

  it("stops the instance, and terminates nothing, when the lease's terms say stop", async () => {
    const { release } = setUp();
    const instanceId = newInstanceId();

    await release(releaseRequestOf("stops", instanceId, { action: "stop" }));

    expect(testbed.ec2Mock.commandCalls(StopInstancesCommand).map((call) => call.args[0].input)).toEqual([
      { InstanceIds: [instanceId] },
    ]);
    expect(testbed.ec2Mock.commandCalls(TerminateInstancesCommand)).toEqual([]);
  });

  it("records the release, its action, reason and who asked, with no check made yet", async () => {
    const { release } = setUp();
    const instanceId = newInstanceId();
    const asked = releaseRequestOf("recorded", instanceId, {
      reason: "released-by-operator",
      by: { email: "operator@example.com" },
      note: "Idle since March",
    });

    await release(asked);

    expect((await testbed.store.get("recorded"))?.release).toEqual({
      request: asked.request,
      resource: asked.resource,
      action: "terminate",
      reason: "released-by-operator",
      by: { email: "operator@example.com" },
      requestedAt: asked.requestedAt,
      n: 1,
    });
  });

  it("acts again on a redelivery and moves the same first check, and keeps the release first asked", async () => {
    const { schedules, release } = setUp();
    const instanceId = newInstanceId();

    await release(releaseRequestOf("twice", instanceId));
    await release(releaseRequestOf("twice", instanceId));
    await release(releaseRequestOf("twice", instanceId, { action: "stop", reason: "released-by-requester" }));

    expect(testbed.ec2Mock.commandCalls(TerminateInstancesCommand)).toHaveLength(3);
    expect(testbed.ec2Mock.commandCalls(StopInstancesCommand)).toEqual([]);
    expect([...schedules.pending.keys()]).toEqual(["twice.release-check-1"]);
    expect((await testbed.store.get("twice"))?.release).toMatchObject({
      action: "terminate",
      reason: "lease-ended",
    });
  });

  it("takes an instance EC2 no longer knows as no error: its check will find it gone", async () => {
    const { schedules, release } = setUp();
    testbed.ec2Mock.on(TerminateInstancesCommand).rejects(ec2Error("InvalidInstanceID.NotFound"));

    await release(releaseRequestOf("gone-already", newInstanceId()));

    expect([...schedules.pending.keys()]).toEqual(["gone-already.release-check-1"]);
  });

  it("leaves an instance EC2 cannot stop yet (still pending) to its checks", async () => {
    const { schedules, release } = setUp();
    testbed.ec2Mock.on(StopInstancesCommand).rejects(ec2Error("IncorrectInstanceState"));

    await release(releaseRequestOf("booting", newInstanceId(), { action: "stop" }));

    expect([...schedules.pending.keys()]).toEqual(["booting.release-check-1"]);
  });

  it("keeps a release EC2 refuses (protection) for its last check to report failed, naming the refusal, instead of throwing", async () => {
    const { bus, schedules, release, check } = setUp();
    const instanceId = newInstanceId();
    testbed.ec2Mock.on(TerminateInstancesCommand).rejects(ec2Error("OperationNotPermitted"));
    testbed.ec2Mock
      .on(DescribeInstancesCommand, { InstanceIds: [instanceId] })
      .resolves({ Reservations: [{ Instances: [{ InstanceId: instanceId, State: { Name: "running" } }] }] });

    await release(releaseRequestOf("protected", instanceId));

    expect([...schedules.pending.keys()]).toEqual(["protected.release-check-1"]);
    expect((await testbed.store.get("protected"))?.release?.refusal).toBe(
      "EC2 refused to terminate the instance (OperationNotPermitted): OperationNotPermitted happened",
    );

    for (const attempt of [1, 2, 3]) await check("protected", attempt);

    expect(bus.detailsOf(ReleaseFailed)).toEqual([
      {
        requestId: "protected",
        request: releaseRequestOf("protected", instanceId).request,
        resource: { type: "ec2", instanceId, region: STACK_REGION },
        action: "terminate",
        reason: "lease-ended",
        problem: `Instance ${instanceId} was still running after 3 checks: EC2 did not get it terminated. EC2 refused to terminate the instance (OperationNotPermitted): OperationNotPermitted happened`,
        kept: false,
        attempts: 3,
        releaseRequestedAt: RELEASE_REQUESTED_AT,
        failedAt: FIXED_NOW.toISOString(),
      },
    ]);
  });

  it("does nothing on a redelivery once the release is settled", async () => {
    const { release } = setUp();
    const instanceId = newInstanceId();
    await release(releaseRequestOf("settled", instanceId));
    await testbed.store.settleRelease("settled", RELEASE_REQUESTED_AT, {
      at: FIXED_NOW,
      outcome: "terminated",
    });

    await release(releaseRequestOf("settled", instanceId));

    expect(testbed.ec2Mock.commandCalls(TerminateInstancesCommand)).toHaveLength(1);
  });

  it("throws for the bus to retry when EC2 fails otherwise, its first check scheduled before", async () => {
    const { schedules, release } = setUp();
    testbed.ec2Mock.on(TerminateInstancesCommand).rejects(ec2Error("InternalError", "server"));

    await expect(release(releaseRequestOf("ec2-down", newInstanceId()))).rejects.toMatchObject({
      name: "InternalError",
    });
    expect([...schedules.pending.keys()]).toEqual(["ec2-down.release-check-1"]);
  });
});
