import "../../../test/support/service-environment.ts";
import { StopInstancesCommand, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ReleaseCheckDue } from "../../../events/lease-events.ts";
import {
  ec2Error,
  FIXED_NOW,
  newInstanceId,
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
    const { schedules, deps } = testbed.freshDeps();
    return { schedules, release: createReleaseRequestedHandler(deps) };
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
      attempts: 0,
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

  it("throws for the bus to retry when EC2 fails otherwise, with no check scheduled", async () => {
    const { schedules, release } = setUp();
    testbed.ec2Mock.on(TerminateInstancesCommand).rejects(ec2Error("InternalError", "server"));

    await expect(release(releaseRequestOf("ec2-down", newInstanceId()))).rejects.toMatchObject({
      name: "InternalError",
    });
    expect(schedules.made).toEqual([]);
  });
});
