import "../../../test/support/service-environment.ts";
import { IdempotencyAlreadyInProgressError } from "@aws-lambda-powertools/idempotency";
import { DescribeInstancesCommand, type Instance, StopInstancesCommand } from "@aws-sdk/client-ec2";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type EC2_INSTANCE_STATES, Ec2InstanceStateChange } from "../../../events/ec2-state-change.ts";
import { ReleaseFailed, ResourceReleased } from "../../../events/lease-events.ts";
import { ProvisioningFailed } from "../../../events/provisioning-failed.ts";
import { ResourceProvisioned } from "../../../events/resource-provisioned.ts";
import { localLambdaContext } from "../../../infra/local/lambda-context.ts";
import { envelopeOf } from "../../../test/support/fixtures.ts";
import { deliverTogetherThenRetryFailures } from "../../../test/support/idempotency.ts";
import {
  approvalOf,
  ec2Error,
  newInstanceId,
  RELEASE_REQUESTED_AT,
  releaseRequestOf,
  STACK_REGION,
  startLauncherTestbed,
} from "../testing/fixtures.ts";
import {
  createInstanceStateChangeHandler,
  handler,
  InstanceNotVisibleError,
} from "./on-instance-state-change.ts";

type State = (typeof EC2_INSTANCE_STATES)[number];

const OTHER_REGION = "eu-west-1";

/** When EC2 accepted the launches of these tests: 90 s before the testbed's now. */
const LAUNCHED_AT = new Date("2030-01-01T09:58:35.000Z");

describe("ec2-launcher on EC2 instance state changes", () => {
  let testbed: Awaited<ReturnType<typeof startLauncherTestbed>>;
  beforeAll(async () => {
    testbed = await startLauncherTestbed();
  });
  afterAll(() => testbed.close());
  beforeEach(() => {
    testbed.resetEc2();
    for (const region of [STACK_REGION, OTHER_REGION])
      testbed.ec2MockIn(region).on(DescribeInstancesCommand).rejects(ec2Error("InvalidInstanceID.NotFound"));
  });

  const setUp = () => {
    const { bus, schedules, deps } = testbed.freshDeps();
    const handle = createInstanceStateChangeHandler(deps);
    return {
      bus,
      schedules,
      metrics: deps.metrics,
      /** A state change of an instance in `region` (the stack's own unless given). */
      change: (instanceId: string, state: State, region = STACK_REGION) =>
        handle({ region, detail: { "instance-id": instanceId, state } }),
      /** The reaper's check at this place, as its schedule delivers it. */
      check: (requestId: string, attempt: number) => deps.reaper.check({ requestId, attempt }),
    };
  };

  /** A request approved and launched by the launcher, as the RequestApproved handler leaves it. */
  const launched = async (
    requestId: string,
    { attached = true, region = undefined as string | undefined } = {},
  ) => {
    const approval = approvalOf(requestId, {}, { region });
    const instanceId = newInstanceId();
    await testbed.store.recordApproval({ ...approval });
    if (attached) await testbed.store.attachInstance(requestId, instanceId, LAUNCHED_AT);
    return { approval, instanceId };
  };

  const describedAs = (instanceId: string, instance: Instance, region = STACK_REGION) =>
    testbed
      .ec2MockIn(region)
      .on(DescribeInstancesCommand, { InstanceIds: [instanceId] })
      .resolves({ Reservations: [{ Instances: [{ InstanceId: instanceId, ...instance }] }] });

  it("reports the instance provisioned, with its private IP, once however often `running` arrives", async () => {
    const { bus, change } = setUp();
    const { approval, instanceId } = await launched("runs");
    describedAs(instanceId, { PrivateIpAddress: "10.0.1.25" });

    await change(instanceId, "running");
    await change(instanceId, "running");

    expect(bus.published).toEqual([
      {
        detailType: ResourceProvisioned.detailType,
        source: ResourceProvisioned.source,
        detail: {
          requestId: "runs",
          request: approval.request,
          instanceId,
          privateIp: "10.0.1.25",
          provisionedAt: "2030-01-01T10:00:05.000Z",
        },
      },
    ]);
  });

  it("counts the launch succeeded once its instance runs, with the time from EC2 accepting the launch, and failed when it ends before it ran, once each", async () => {
    const { metrics, change } = setUp();
    const runs = await launched("counted-runs");
    const ends = await launched("counted-ends");
    describedAs(runs.instanceId, { PrivateIpAddress: "10.0.1.27" });

    await change(runs.instanceId, "running");
    await change(runs.instanceId, "running");
    await change(ends.instanceId, "terminated");
    await change(ends.instanceId, "terminated");

    expect(metrics.recorded).toEqual([
      { metric: "ProvisioningSucceeded", value: 1, dimensions: { resourceType: "ec2" } },
      { metric: "TimeToProvision", value: 90_000 },
      { metric: "ProvisioningFailed", value: 1, dimensions: { resourceType: "ec2" } },
    ]);
  });

  it("settles the launch of an instance in another region, asking EC2 in the instance's region", async () => {
    const { bus, change } = setUp();
    const { instanceId } = await launched("in-ireland", { region: OTHER_REGION });
    describedAs(instanceId, { PrivateIpAddress: "10.0.2.25" }, OTHER_REGION);

    await change(instanceId, "running", OTHER_REGION);

    expect(bus.detailsOf(ResourceProvisioned)).toMatchObject([
      { requestId: "in-ireland", instanceId, privateIp: "10.0.2.25", request: { region: OTHER_REGION } },
    ]);
    expect(testbed.ec2Mock.commandCalls(DescribeInstancesCommand)).toEqual([]);
  });

  it("finds a launch in another region by its RequestId tag there when `running` overtakes its record", async () => {
    const { bus, change } = setUp();
    const { instanceId } = await launched("overtaken-in-ireland", { attached: false, region: OTHER_REGION });
    describedAs(
      instanceId,
      { PrivateIpAddress: "10.0.2.26", Tags: [{ Key: "RequestId", Value: "overtaken-in-ireland" }] },
      OTHER_REGION,
    );

    await change(instanceId, "running", OTHER_REGION);

    expect(bus.detailsOf(ResourceProvisioned)).toMatchObject([
      { requestId: "overtaken-in-ireland", instanceId },
    ]);
  });

  it("reports the launch failed when the instance ends before it ever ran, and only that", async () => {
    const { bus, change } = setUp();
    const { approval, instanceId } = await launched("dies");
    describedAs(instanceId, {
      StateReason: { Code: "Server.InternalError", Message: "Internal error on launch" },
    });

    await change(instanceId, "shutting-down");
    await change(instanceId, "terminated");
    await change(instanceId, "running");

    expect(bus.published).toEqual([
      {
        detailType: ProvisioningFailed.detailType,
        source: ProvisioningFailed.source,
        detail: {
          requestId: "dies",
          request: approval.request,
          instanceId,
          reason: `Instance ${instanceId} ended (shutting-down) before it was ever running: Internal error on launch`,
          failedAt: "2030-01-01T10:00:05.000Z",
        },
      },
    ]);
  });

  it("reports an instance terminated outside this tool while its lease ran released, once, with reason ended-outside", async () => {
    const { bus, change } = setUp();
    const { approval, instanceId } = await launched("ended-outside");
    describedAs(instanceId, { PrivateIpAddress: "10.0.1.26" });

    await change(instanceId, "running");
    await change(instanceId, "terminated");
    await change(instanceId, "terminated");

    expect(bus.published.map((event) => event.detailType)).toEqual([
      ResourceProvisioned.detailType,
      ResourceReleased.detailType,
    ]);
    expect(bus.published[1]).toEqual({
      detailType: ResourceReleased.detailType,
      source: ResourceReleased.source,
      detail: {
        requestId: "ended-outside",
        request: approval.request,
        resource: { type: "ec2", instanceId, region: STACK_REGION },
        action: "terminate",
        reason: "ended-outside",
        outcome: "terminated",
        releasedAt: "2030-01-01T10:00:05.000Z",
      },
    });
  });

  it("leaves the termination of an instance whose release is recorded to that release's checks", async () => {
    const { bus, change } = setUp();
    const { instanceId } = await launched("terminated-by-release");
    describedAs(instanceId, { PrivateIpAddress: "10.0.1.31" });
    await change(instanceId, "running");
    await releasedWith("terminated-by-release", instanceId, "terminate", { took: false });

    await change(instanceId, "terminated");

    expect(bus.published.map((event) => event.detailType)).toEqual([ResourceProvisioned.detailType]);
  });

  /** The launch's release with this action, recorded, and (`took`) confirmed by a check. */
  const releasedWith = async (
    requestId: string,
    instanceId: string,
    action: "stop" | "terminate",
    { took }: { took: boolean },
  ) => {
    const { request, resource, reason, requestedAt } = releaseRequestOf(requestId, instanceId, { action });
    await testbed.store.recordRelease(requestId, {
      request,
      resource,
      action,
      reason,
      requestedAt,
    });
    if (took) {
      await testbed.store.settleRelease(requestId, requestedAt, {
        at: new Date(),
        outcome: action === "stop" ? "stopped" : "terminated",
      });
    }
  };

  it("stops again an instance its lease stopped when someone starts it, as a release of its own that reports once it stopped", async () => {
    const { bus, schedules, change, check } = setUp();
    const { approval, instanceId } = await launched("restarted");
    testbed.ec2Mock.on(StopInstancesCommand).resolves({});
    await releasedWith("restarted", instanceId, "stop", { took: true });

    await change(instanceId, "running");

    expect(testbed.ec2Mock.commandCalls(StopInstancesCommand).map((call) => call.args[0].input)).toEqual([
      { InstanceIds: [instanceId] },
    ]);
    expect([...schedules.pending.keys()]).toEqual(["restarted.release-check-1"]);
    expect(bus.published).toEqual([]);

    describedAs(instanceId, { State: { Name: "stopped" } });
    await check("restarted", 1);

    expect(bus.detailsOf(ResourceReleased)).toEqual([
      {
        requestId: "restarted",
        request: approval.request,
        resource: { type: "ec2", instanceId, region: STACK_REGION },
        action: "stop",
        reason: "lease-ended",
        outcome: "stopped",
        releaseRequestedAt: RELEASE_REQUESTED_AT,
        releasedAt: "2030-01-01T10:00:05.000Z",
      },
    ]);
  });

  it("reports a stop again that EC2 refuses as a failed release, naming the refusal", async () => {
    const { bus, change, check } = setUp();
    const { instanceId } = await launched("restarted-protected");
    testbed.ec2Mock.on(StopInstancesCommand).rejects(ec2Error("OperationNotPermitted"));
    describedAs(instanceId, { State: { Name: "running" } });
    await releasedWith("restarted-protected", instanceId, "stop", { took: true });

    await change(instanceId, "running");
    for (const attempt of [1, 2, 3]) await check("restarted-protected", attempt);

    expect(bus.detailsOf(ReleaseFailed)).toEqual([
      expect.objectContaining({
        requestId: "restarted-protected",
        action: "stop",
        reason: "lease-ended",
        kept: false,
        attempts: 3,
        releaseRequestedAt: RELEASE_REQUESTED_AT,
        problem: expect.stringContaining("EC2 refused to stop the instance (OperationNotPermitted)"),
      }),
    ]);
  });

  it("leaves a running instance to its release's own checks until that release took", async () => {
    const { schedules, change } = setUp();
    const { instanceId } = await launched("stop-pending");
    describedAs(instanceId, { PrivateIpAddress: "10.0.1.30" });
    await releasedWith("stop-pending", instanceId, "stop", { took: false });

    await change(instanceId, "running");

    expect(testbed.ec2Mock.commandCalls(StopInstancesCommand)).toEqual([]);
    expect(schedules.made).toEqual([]);
  });

  it("settles the launch once when `running` and `terminated` arrive at the same time and are retried", async () => {
    const { bus, change } = setUp();
    const { instanceId } = await launched("racing-states");
    describedAs(instanceId, { PrivateIpAddress: "10.0.1.28" });

    const failures = await deliverTogetherThenRetryFailures(
      (state: State) => change(instanceId, state),
      ["running", "terminated", "running"],
    );

    expect(failures.filter((failure) => !(failure instanceof IdempotencyAlreadyInProgressError))).toEqual([]);
    const outcomes: string[] = [ResourceProvisioned.detailType, ProvisioningFailed.detailType];
    expect(bus.published.filter((event) => outcomes.includes(event.detailType))).toHaveLength(1);
  });

  it("settles nothing while EC2 does not describe the running instance, and provisions it on the retry", async () => {
    const { bus, change } = setUp();
    const { instanceId } = await launched("visible-later");
    await expect(change(instanceId, "running")).rejects.toThrow(InstanceNotVisibleError);
    describedAs(instanceId, { PrivateIpAddress: "10.0.1.29" });

    await change(instanceId, "running");

    expect(bus.detailsOf(ResourceProvisioned)).toMatchObject([{ requestId: "visible-later", instanceId }]);
  });

  it("finds the launch by its RequestId tag when `running` overtakes the record of its instance", async () => {
    const { bus, change } = setUp();
    const { instanceId } = await launched("overtaken", { attached: false });
    describedAs(instanceId, {
      PrivateIpAddress: "10.0.1.27",
      Tags: [{ Key: "RequestId", Value: "overtaken" }],
    });

    await change(instanceId, "running");

    expect(bus.detailsOf(ResourceProvisioned)).toMatchObject([{ requestId: "overtaken", instanceId }]);
  });

  it("ignores instances it did not launch", async () => {
    const { bus, change } = setUp();
    const tagged = newInstanceId();
    describedAs(tagged, { Tags: [{ Key: "RequestId", Value: "nobody-asked-for-this" }] });

    await change(newInstanceId(), "running");
    await change(tagged, "terminated");

    expect(bus.published).toEqual([]);
  });

  it("ignores an instance tagged with a request whose launch is another instance", async () => {
    const { bus, change } = setUp();
    await launched("has-its-own");
    const impostor = newInstanceId();
    describedAs(impostor, { Tags: [{ Key: "RequestId", Value: "has-its-own" }] });

    await change(impostor, "running");

    expect(bus.published).toEqual([]);
  });

  it("ignores states that settle nothing", async () => {
    const { bus, change } = setUp();
    const { instanceId } = await launched("boots");

    await change(instanceId, "pending");

    expect(bus.published).toEqual([]);
    expect(testbed.ec2Mock.commandCalls(DescribeInstancesCommand)).toEqual([]);
  });

  it("throws for the bus to retry when EC2 does not describe the running instance yet", async () => {
    const { bus, change } = setUp();
    const { instanceId } = await launched("not-visible");

    await expect(change(instanceId, "running")).rejects.toThrow(
      `does not describe running instance ${instanceId}`,
    );
    expect(bus.published).toEqual([]);
  });

  it("parses the bus's envelope in the deployed handler, refusing a detail that breaks its contract", async () => {
    const envelope = envelopeOf(
      Ec2InstanceStateChange,
      { "instance-id": newInstanceId(), state: "pending" },
      { id: "evt-wired" },
    );
    const context = localLambdaContext("ec2-launcher-on-instance-state-change", "us-east-1", "000000000000");
    // The bus hands the handler raw JSON: the middleware's parse is what types it.
    const invoke = handler as unknown as (event: unknown, context: Context) => Promise<unknown>;

    await expect(invoke(envelope, context)).resolves.toBeUndefined();
    await expect(invoke({ ...envelope, detail: { state: "running" } }, context)).rejects.toMatchObject({
      name: "ParseError",
    });
    const { region: _, ...withoutRegion } = envelope;
    await expect(invoke({ ...withoutRegion, id: "evt-no-region" }, context)).rejects.toMatchObject({
      name: "ParseError",
    });
  });
});
