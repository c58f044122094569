import "../../../test/support/service-environment.ts";
import { IdempotencyAlreadyInProgressError } from "@aws-lambda-powertools/idempotency";
import {
  DescribeInstancesCommand,
  type InstanceStateName,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ReleaseCheckDue, ReleaseFailed, ResourceReleased } from "../../../events/lease-events.ts";
import { localLambdaContext } from "../../../infra/local/lambda-context.ts";
import { envelopeOf } from "../../../test/support/fixtures.ts";
import { deliverTogetherThenRetryFailures } from "../../../test/support/idempotency.ts";
import type { Ec2ReleaseRequest } from "../release.ts";
import {
  ec2Error,
  FIXED_NOW,
  newInstanceId,
  RELEASE_CHECK_DELAYS_MS,
  releaseRequestOf,
  STACK_REGION,
  startLauncherTestbed,
} from "../testing/fixtures.ts";
import { handler } from "./on-release-check-due.ts";
import { createReleaseRequestedHandler } from "./on-release-requested.ts";

const OTHER_REGION = "eu-west-1";
const LAST_CHECK = RELEASE_CHECK_DELAYS_MS.length;

describe("ec2-launcher's reaper on ReleaseCheckDue", () => {
  let testbed: Awaited<ReturnType<typeof startLauncherTestbed>>;
  beforeAll(async () => {
    testbed = await startLauncherTestbed();
  });
  afterAll(() => testbed.close());
  beforeEach(() => {
    testbed.resetEc2();
    for (const region of [STACK_REGION, OTHER_REGION]) {
      const ec2 = testbed.ec2MockIn(region);
      ec2.on(DescribeInstancesCommand).rejects(ec2Error("InvalidInstanceID.NotFound"));
      ec2.on(TerminateInstancesCommand).resolves({});
      ec2.on(StopInstancesCommand).resolves({});
    }
  });

  const setUp = () => {
    const { bus, schedules, deps } = testbed.freshDeps();
    return {
      bus,
      schedules,
      /** The check at this place of the request's release, as its schedule puts it on the bus. */
      check: (requestId: string, attempt: number) => deps.reaper.check({ requestId, attempt }),
      /** The ReleaseRequested handler, over the same bus, schedules and EC2. */
      release: createReleaseRequestedHandler(deps),
    };
  };

  /** A release the ReleaseRequested handler recorded, of a new instance EC2 describes in `state`. */
  const released = async (
    requestId: string,
    state: InstanceStateName | undefined,
    changes: Parameters<typeof releaseRequestOf>[2] = {},
  ): Promise<Ec2ReleaseRequest> => {
    const asked = releaseRequestOf(requestId, newInstanceId(), changes);
    const { requestedAt, request, resource, action, reason, by } = asked;
    await testbed.store.recordRelease(requestId, {
      request,
      resource,
      action,
      reason,
      by,
      requestedAt,
    });
    if (state) describedIn(asked, state);
    return asked;
  };

  const describedIn = ({ resource }: Ec2ReleaseRequest, state: InstanceStateName) =>
    testbed
      .ec2MockIn(resource.region)
      .on(DescribeInstancesCommand, { InstanceIds: [resource.instanceId] })
      .resolves({
        Reservations: [{ Instances: [{ InstanceId: resource.instanceId, State: { Name: state } }] }],
      });

  const terminations = (region = STACK_REGION) =>
    testbed.ec2MockIn(region).commandCalls(TerminateInstancesCommand);

  it("reports a terminated instance released, with the request and the release's reason, once however often the check comes", async () => {
    const { bus, schedules, check } = setUp();
    const asked = await released("terminated", "terminated", { region: OTHER_REGION });

    await check("terminated", 1);
    await check("terminated", 1);

    expect(bus.published).toEqual([
      {
        detailType: ResourceReleased.detailType,
        source: "approvals.ec2-launcher",
        detail: {
          requestId: "terminated",
          request: asked.request,
          resource: asked.resource,
          action: "terminate",
          outcome: "terminated",
          reason: "lease-ended",
          releaseRequestedAt: asked.requestedAt,
          releasedAt: FIXED_NOW.toISOString(),
        },
      },
    ]);
    expect(schedules.made).toEqual([]);
    expect(terminations(OTHER_REGION)).toEqual([]);
    expect((await testbed.store.get("terminated"))?.release).toMatchObject({
      outcome: "terminated",
    });
  });

  it("reports an instance EC2 no longer knows released, as terminated", async () => {
    const { bus, check } = setUp();
    await released("vanished", undefined);

    await check("vanished", 1);

    expect(bus.detailsOf(ResourceReleased)).toMatchObject([{ requestId: "vanished", outcome: "terminated" }]);
  });

  it("reports a stopped instance released by the requester as stopped, naming them", async () => {
    const { bus, check } = setUp();
    await released("stopped", "stopped", {
      action: "stop",
      reason: "released-by-requester",
      by: { email: "ana@example.com", subject: "sub-ana" },
    });

    await check("stopped", 1);

    expect(bus.detailsOf(ResourceReleased)).toMatchObject([
      {
        requestId: "stopped",
        action: "stop",
        outcome: "stopped",
        reason: "released-by-requester",
        by: { email: "ana@example.com", subject: "sub-ana" },
      },
    ]);
  });

  it.each([
    ["terminate", "shutting-down"],
    ["terminate", "stopping"],
    ["stop", "stopping"],
  ] as const)(
    "waits for an instance to %s while it is %s: the next check, after the next delay, and nothing else",
    async (action, state) => {
      const { bus, schedules, check } = setUp();
      await released(`on-its-way-${action}-${state}`, state, { action });

      await check(`on-its-way-${action}-${state}`, 1);

      expect(bus.published).toEqual([]);
      expect(terminations()).toEqual([]);
      expect(testbed.ec2Mock.commandCalls(StopInstancesCommand)).toEqual([]);
      expect(schedules.made).toEqual([
        expect.objectContaining({
          name: `on-its-way-${action}-${state}.release-check-2`,
          at: new Date(FIXED_NOW.getTime() + 60_000),
          detailType: ReleaseCheckDue.detailType,
          detail: {
            requestId: `on-its-way-${action}-${state}`,
            resourceType: "ec2",
            attempt: 2,
            dueAt: "2030-01-01T10:01:05.000Z",
          },
        }),
      ]);
    },
  );

  it("terminates again an instance that still runs, and checks it again later", async () => {
    const { bus, schedules, check } = setUp();
    const asked = await released("still-running", "running");

    await check("still-running", 2);

    expect(terminations().map((call) => call.args[0].input)).toEqual([
      { InstanceIds: [asked.resource.instanceId] },
    ]);
    expect(bus.published).toEqual([]);
    expect([...schedules.pending.keys()]).toEqual(["still-running.release-check-3"]);
  });

  it("stops again an instance released with stop that someone started, and checks it again later", async () => {
    const { schedules, check } = setUp();
    await released("started-again", "running", { action: "stop" });

    await check("started-again", 1);

    expect(testbed.ec2Mock.commandCalls(StopInstancesCommand)).toHaveLength(1);
    expect(terminations()).toEqual([]);
    expect([...schedules.pending.keys()]).toEqual(["started-again.release-check-2"]);
  });

  it("terminates a stopped instance whose release asked for termination", async () => {
    const { check } = setUp();
    await released("stopped-not-terminated", "stopped");

    await check("stopped-not-terminated", 1);

    expect(terminations()).toHaveLength(1);
  });

  it("fails the release after the last check finds the instance still up: what it found, in words, once", async () => {
    const { bus, schedules, check } = setUp();
    const asked = await released("never-goes", "running");

    await check("never-goes", LAST_CHECK);
    await check("never-goes", LAST_CHECK);

    expect(bus.published).toEqual([
      {
        detailType: ReleaseFailed.detailType,
        source: "approvals.ec2-launcher",
        detail: {
          requestId: "never-goes",
          request: asked.request,
          resource: asked.resource,
          action: "terminate",
          reason: "lease-ended",
          problem: `Instance ${asked.resource.instanceId} was still running after ${LAST_CHECK} checks: EC2 did not get it terminated. It may be protected against termination, or someone keeps starting it.`,
          kept: false,
          attempts: LAST_CHECK,
          releaseRequestedAt: asked.requestedAt,
          failedAt: FIXED_NOW.toISOString(),
        },
      },
    ]);
    expect(schedules.made).toEqual([]);
  });

  it("reports the release once when checks of it are delivered together and retried", async () => {
    const { bus, check } = setUp();
    await released("racing-checks", "terminated");

    const failures = await deliverTogetherThenRetryFailures(
      (attempt: number) => check("racing-checks", attempt),
      [1, 1, 2],
    );

    expect(failures.filter((failure) => !(failure instanceof IdempotencyAlreadyInProgressError))).toEqual([]);
    expect(bus.published).toHaveLength(1);
  });

  it("takes a release asked again after one failed as a new one: its checks start afresh and it is reported once more", async () => {
    const { bus, schedules, check, release } = setUp();
    const first = await released("asked-again", "running");
    await check("asked-again", LAST_CHECK);
    const again = {
      ...first,
      reason: "released-by-operator" as const,
      by: { email: "operator@example.com" },
      requestedAt: new Date(Date.parse(first.requestedAt) + 3_600_000).toISOString(),
    };

    await release(again);
    await release(again);
    await release(first);
    describedIn(first, "terminated");
    await check("asked-again", 1);
    await check("asked-again", 1);

    expect((await testbed.store.get("asked-again"))?.release).toMatchObject({
      n: 2,
      reason: "released-by-operator",
      requestedAt: again.requestedAt,
      outcome: "terminated",
    });
    expect(schedules.made.map((made) => made.name)).toEqual([
      "asked-again.release-check-1",
      "asked-again.release-check-1",
      "asked-again.release-check-1",
    ]);
    expect(bus.published.map((event) => event.detailType)).toEqual([
      ReleaseFailed.detailType,
      ResourceReleased.detailType,
    ]);
    expect(bus.detailsOf(ResourceReleased)).toMatchObject([
      { reason: "released-by-operator", by: { email: "operator@example.com" } },
    ]);
  });

  it("does nothing for a check of a release it never recorded", async () => {
    const { bus, schedules, check } = setUp();

    await check("never-released", 1);

    expect(bus.published).toEqual([]);
    expect(schedules.made).toEqual([]);
    expect(testbed.ec2Mock.commandCalls(DescribeInstancesCommand)).toEqual([]);
  });

  it("parses the bus's envelope in the deployed handler, refusing a detail that breaks its contract", async () => {
    const envelope = envelopeOf(
      ReleaseCheckDue,
      { requestId: "r-1", resourceType: "ec2", attempt: 0, dueAt: "2030-01-01T10:00:35.000Z" },
      { id: "evt-wired" },
    );
    const context = localLambdaContext("ec2-launcher-on-release-check-due", "us-east-1", "000000000000");
    // The bus hands the handler raw JSON: the middleware's parse is what types it.
    const invoke = handler as unknown as (event: unknown, context: Context) => Promise<unknown>;

    await expect(invoke(envelope, context)).rejects.toMatchObject({ name: "ParseError" });
  });
});
