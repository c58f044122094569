import "../../../test/support/service-environment.ts";
import { IdempotencyAlreadyInProgressError } from "@aws-lambda-powertools/idempotency";
import { RunInstancesCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProvisioningFailed } from "../../../events/provisioning-failed.ts";
import { ProvisioningStarted } from "../../../events/provisioning-started.ts";
import { deliverTogetherThenRetryFailures } from "../../../test/support/idempotency.ts";
import { launchSettings } from "../config.ts";
import { buildRunInstancesInput, DEFAULT_IMAGES, imagesWith, type LaunchSettings } from "../domain.ts";
import {
  APPROVER,
  approvalOf,
  ec2Error,
  newInstanceId,
  STACK_REGION,
  startLauncherTestbed,
} from "../testing/fixtures.ts";
import { createRequestApprovedHandler } from "./on-request-approved.ts";

describe("ec2-launcher on RequestApproved", () => {
  let testbed: Awaited<ReturnType<typeof startLauncherTestbed>>;
  beforeAll(async () => {
    testbed = await startLauncherTestbed();
  });
  afterAll(() => testbed.close());
  beforeEach(() => testbed.resetEc2());

  const setUp = (settings: LaunchSettings = launchSettings) => {
    const { bus, deps } = testbed.freshDeps();
    return { bus, metrics: deps.metrics, handle: createRequestApprovedHandler({ ...deps, settings }) };
  };
  const runInstancesCalls = (region = STACK_REGION) =>
    testbed
      .ec2MockIn(region)
      .commandCalls(RunInstancesCommand)
      .map((call) => call.args[0].input);

  it("launches the requested instance and records it against the request", async () => {
    const { handle } = setUp();
    const approval = approvalOf("launch-once");
    const instanceId = newInstanceId();
    testbed.ec2Mock.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: instanceId }] });

    await handle(approval);

    expect(runInstancesCalls()).toEqual([
      buildRunInstancesInput(
        approval.request,
        APPROVER,
        DEFAULT_IMAGES["amazon-linux-2023"].x86_64,
        launchSettings,
      ),
    ]);
    expect(await testbed.store.findByInstanceId(instanceId)).toMatchObject({
      requestId: "launch-once",
      request: approval.request,
      approver: APPROVER,
      instanceId,
    });
  });

  it("launches a request for another region there, through that region's client", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("in-ireland", {}, { region: "eu-west-1" });
    const instanceId = newInstanceId();
    testbed
      .ec2MockIn("eu-west-1")
      .on(RunInstancesCommand)
      .resolves({ Instances: [{ InstanceId: instanceId }] });

    await handle(approval);

    expect(runInstancesCalls("eu-west-1")).toEqual([
      buildRunInstancesInput(
        approval.request,
        APPROVER,
        DEFAULT_IMAGES["amazon-linux-2023"].x86_64,
        launchSettings,
      ),
    ]);
    expect(runInstancesCalls(STACK_REGION)).toEqual([]);
    expect(bus.detailsOf(ProvisioningStarted)).toMatchObject([{ requestId: "in-ireland", instanceId }]);
  });

  it("launches from the region's own image where an operator named one, and the common one elsewhere", async () => {
    const { handle } = setUp({
      ...launchSettings,
      regionalImages: { "eu-west-1": { "amazon-linux-2023": { x86_64: "ami-0123456789abcdef0" } } },
    });
    for (const region of ["eu-west-1", STACK_REGION])
      testbed
        .ec2MockIn(region)
        .on(RunInstancesCommand)
        .resolves({ Instances: [{ InstanceId: newInstanceId() }] });

    await handle(approvalOf("golden-in-ireland", {}, { region: "eu-west-1" }));
    await handle(approvalOf("public-at-home", {}, { region: STACK_REGION }));

    expect(runInstancesCalls("eu-west-1").map((input) => input.ImageId)).toEqual(["ami-0123456789abcdef0"]);
    expect(runInstancesCalls(STACK_REGION).map((input) => input.ImageId)).toEqual([
      DEFAULT_IMAGES["amazon-linux-2023"].x86_64,
    ]);
  });

  it("launches a Graviton request from its OS's arm64 image", async () => {
    const { handle } = setUp();
    testbed.ec2Mock.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: newInstanceId() }] });

    await handle(approvalOf("ubuntu-on-graviton", { os: "ubuntu-24.04", instanceType: "t4g.micro" }));

    expect(runInstancesCalls().map((input) => input.ImageId)).toEqual([DEFAULT_IMAGES["ubuntu-24.04"].arm64]);
  });

  it("launches from the image an operator configured in place of the default", async () => {
    const { handle } = setUp({
      ...launchSettings,
      images: imagesWith({ "windows-server-2022": { x86_64: "ami-0123456789abcdef0" } }),
    });
    testbed.ec2Mock.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: newInstanceId() }] });

    await handle(
      approvalOf("golden-windows", {
        os: "windows-server-2022",
        instanceType: "m7i.large",
        volume: { sizeGiB: 30, type: "gp3" },
      }),
    );

    expect(runInstancesCalls().map((input) => input.ImageId)).toEqual(["ami-0123456789abcdef0"]);
  });

  it("fails the request once, without asking EC2, when no image is configured for it", async () => {
    const { bus, handle } = setUp({ ...launchSettings, images: {} });
    const approval = approvalOf("no-image", { os: "ubuntu-22.04", instanceType: "c7g.large" });

    await handle(approval);
    await handle(approval);

    expect(bus.published).toEqual([
      {
        detailType: ProvisioningFailed.detailType,
        source: ProvisioningFailed.source,
        detail: {
          requestId: "no-image",
          request: approval.request,
          reason:
            "No image is configured for ubuntu-22.04 on arm64 in us-east-1: an operator can name one in the image settings (IMAGE_IDS)",
          failedAt: "2030-01-01T10:00:05.000Z",
        },
      },
    ]);
    expect(runInstancesCalls()).toEqual([]);
  });

  it("announces one ProvisioningStarted when the approval is delivered again and again", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("redelivered");
    const instanceId = newInstanceId();
    testbed.ec2Mock.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: instanceId }] });

    await handle(approval);
    await handle(approval);
    await handle(approval);

    expect(bus.published).toEqual([
      {
        detailType: ProvisioningStarted.detailType,
        source: ProvisioningStarted.source,
        detail: {
          requestId: "redelivered",
          request: approval.request,
          approver: APPROVER,
          instanceId,
          startedAt: "2030-01-01T10:00:05.000Z",
        },
      },
    ]);
    expect(runInstancesCalls()).toHaveLength(1);
  });

  it("announces one ProvisioningStarted for concurrent copies and their retries, every launch call on the same client token", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("concurrent");
    testbed.ec2Mock.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: newInstanceId() }] });

    const failures = await deliverTogetherThenRetryFailures(handle, [approval, approval, approval]);

    expect(failures.filter((failure) => !(failure instanceof IdempotencyAlreadyInProgressError))).toEqual([]);
    expect(bus.detailsOf(ProvisioningStarted)).toHaveLength(1);
    expect(new Set(runInstancesCalls().map((input) => input.ClientToken))).toEqual(new Set(["concurrent"]));
  });

  it("fails the request at once when EC2 refuses it for good, and only once", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("bad-subnet");
    testbed.ec2Mock.on(RunInstancesCommand).rejects(ec2Error("InvalidSubnetID.NotFound"));

    await handle(approval);
    await handle(approval);

    expect(bus.published).toEqual([
      {
        detailType: ProvisioningFailed.detailType,
        source: ProvisioningFailed.source,
        detail: {
          requestId: "bad-subnet",
          request: approval.request,
          errorCode: "InvalidSubnetID.NotFound",
          reason:
            "EC2 refused to launch the instance (InvalidSubnetID.NotFound): InvalidSubnetID.NotFound happened",
          failedAt: "2030-01-01T10:00:05.000Z",
        },
      },
    ]);
    expect(runInstancesCalls()).toHaveLength(1);
  });

  it("fails a request for a subnet outside ALLOWED_SUBNET_IDS once, without asking EC2, naming the subnet", async () => {
    const { bus, handle } = setUp({ ...launchSettings, allowedSubnetIds: ["subnet-0abc1234"] });
    const approval = approvalOf("other-subnet", { subnetId: "subnet-0bad0bad" });

    await handle(approval);
    await handle(approval);

    expect(bus.published).toEqual([
      {
        detailType: ProvisioningFailed.detailType,
        source: ProvisioningFailed.source,
        detail: {
          requestId: "other-subnet",
          request: approval.request,
          reason:
            "Subnet subnet-0bad0bad is not one this deployment launches into (ALLOWED_SUBNET_IDS: subnet-0abc1234)",
          failedAt: "2030-01-01T10:00:05.000Z",
        },
      },
    ]);
    expect(runInstancesCalls()).toEqual([]);
  });

  it("launches into a subnet ALLOWED_SUBNET_IDS names", async () => {
    const { bus, handle } = setUp({ ...launchSettings, allowedSubnetIds: ["subnet-0abc1234"] });
    const approval = approvalOf("allowed-subnet", { subnetId: "subnet-0abc1234" });
    testbed.ec2Mock.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: newInstanceId() }] });

    await handle(approval);

    expect(runInstancesCalls()).toEqual([expect.objectContaining({ SubnetId: "subnet-0abc1234" })]);
    expect(bus.detailsOf(ProvisioningStarted)).toHaveLength(1);
  });

  it("counts the launch started once, however often the approval is delivered", async () => {
    const { metrics, handle } = setUp();
    const approval = approvalOf("counted-start");
    testbed.ec2Mock.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: newInstanceId() }] });

    await handle(approval);
    await handle(approval);

    expect(metrics.recorded).toEqual([
      { metric: "ProvisioningStarted", value: 1, dimensions: { resourceType: "ec2" } },
    ]);
  });

  it("counts a launch EC2 refuses for good as failed, once", async () => {
    const { metrics, handle } = setUp();
    const approval = approvalOf("counted-refusal");
    testbed.ec2Mock.on(RunInstancesCommand).rejects(ec2Error("InvalidSubnetID.NotFound"));

    await handle(approval);
    await handle(approval);

    expect(metrics.recorded).toEqual([
      { metric: "ProvisioningFailed", value: 1, dimensions: { resourceType: "ec2" } },
    ]);
  });

  it("fails a copy that finds the launch being announced by another, for the bus to retry it", async () => {
    const { deps } = testbed.freshDeps();
    const approval = approvalOf("announcing");
    testbed.ec2Mock.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: newInstanceId() }] });
    let announcing = false;
    let finishAnnouncing: (eventIds: string[]) => void = () => {};
    const holder = createRequestApprovedHandler({
      ...deps,
      settings: launchSettings,
      publish: () => {
        announcing = true;
        return new Promise((resolve) => {
          finishAnnouncing = resolve;
        });
      },
    });
    const held = holder(approval);
    await expect.poll(() => announcing).toBe(true);
    const { bus, handle } = setUp();

    await expect(handle(approval)).rejects.toBeInstanceOf(IdempotencyAlreadyInProgressError);
    finishAnnouncing(["event-1"]);
    await held;
    await handle(approval);

    expect(bus.published).toEqual([]);
    expect(runInstancesCalls()).toHaveLength(1);
  });

  it("publishes a failure recorded before a crash on the redelivery, without asking EC2 again", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("failed-then-crashed");
    await testbed.store.recordApproval(approval);
    await testbed.store.recordPermanentFailure("failed-then-crashed", {
      errorCode: "InvalidSubnetID.NotFound",
      reason: "EC2 refused to launch the instance (InvalidSubnetID.NotFound)",
    });

    await handle(approval);
    await handle(approval);

    expect(bus.detailsOf(ProvisioningFailed)).toEqual([
      {
        requestId: "failed-then-crashed",
        request: approval.request,
        errorCode: "InvalidSubnetID.NotFound",
        reason: "EC2 refused to launch the instance (InvalidSubnetID.NotFound)",
        failedAt: "2030-01-01T10:00:05.000Z",
      },
    ]);
    expect(runInstancesCalls()).toEqual([]);
  });

  it.each([
    ["throttled", ec2Error("RequestLimitExceeded")],
    ["out of capacity", ec2Error("InsufficientInstanceCapacity", "server")],
    ["unavailable", ec2Error("ServiceUnavailable", "server")],
    ["unreachable", new Error("connect ECONNREFUSED 127.0.0.1:4566")],
  ])("throws for the bus to retry when EC2 is %s, then launches on the retry", async (situation, error) => {
    const { bus, handle } = setUp();
    const approval = approvalOf(`retry-when-${situation.replaceAll(" ", "-")}`);
    const instanceId = newInstanceId();
    testbed.ec2Mock
      .on(RunInstancesCommand)
      .rejectsOnce(error)
      .resolves({ Instances: [{ InstanceId: instanceId }] });

    await expect(handle(approval)).rejects.toBe(error);
    expect(bus.published).toEqual([]);

    await handle(approval);
    expect(bus.detailsOf(ProvisioningStarted).map((detail) => detail.instanceId)).toEqual([instanceId]);
  });

  it("announces the launch on the retry when the bus refused the first announcement", async () => {
    const { bus, handle } = setUp();
    const approval = approvalOf("bus-down");
    testbed.ec2Mock.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: newInstanceId() }] });
    bus.failNext();

    await expect(handle(approval)).rejects.toThrow("EventBridge is unreachable");
    await handle(approval);

    expect(bus.detailsOf(ProvisioningStarted)).toHaveLength(1);
    expect(runInstancesCalls()).toHaveLength(1);
  });
});
