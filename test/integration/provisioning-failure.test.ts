import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAILING_IMAGE_ID, localImageIdOf } from "../../infra/local/ec2/local-ec2.ts";
import { DEFAULT_IMAGES, ssmParameterOf } from "../../services/ec2-launcher/domain.ts";
import { sampleRequest } from "../support/fixtures.ts";
import {
  decide,
  decisionLinks,
  localUsersEnv,
  submit,
  validRequest,
  waitForEmails,
  waitForStatus,
} from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

describe("launching the image of the requested OS and architecture", () => {
  let stack: StackUnderTest;
  beforeAll(async () => {
    stack = await startStack({
      // Amazon Linux on x86_64 launches from the image the local EC2 fails; every other image keeps its default.
      env: {
        IMAGE_IDS: JSON.stringify({ "amazon-linux-2023": { x86_64: FAILING_IMAGE_ID } }),
        ...localUsersEnv(),
      },
    });
  });
  afterAll(() => stack?.destroy());

  /** Submits the request with this resource and approves it from the approval email; resolves to its id. */
  const submitAndApprove = async (resource: Record<string, unknown>) => {
    const submitted = await submit(stack, validRequest({ resource }));
    expect(submitted.status).toBe(202);
    const requestId = String(submitted.body.requestId);
    const [approvalEmail] = await waitForEmails(stack, "approver@example.com", requestId);
    const decision = await decide(decisionLinks(approvalEmail as NonNullable<typeof approvalEmail>).approve);
    expect(decision.status).toBe(200);
    return requestId;
  };

  const instancesOf = async (requestId: string) => {
    const described = await stack.ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: "tag:RequestId", Values: [requestId] }] }),
    );
    return described.Reservations?.flatMap((reservation) => reservation.Instances ?? []) ?? [];
  };

  it("ends an approved request whose instance dies before it runs as FAILED, with the reason, and tells the requester", async () => {
    const requestId = await submitAndApprove({
      ...sampleRequest().resource,
      os: "amazon-linux-2023",
      instanceType: "t3.micro",
      privateIp: "10.0.1.30",
    });

    const failed = await waitForStatus(stack, requestId, "FAILED");

    const [instance] = await instancesOf(requestId);
    expect(instance?.ImageId).toBe(FAILING_IMAGE_ID);
    expect(instance?.State?.Name).toBe("terminated");
    expect(failed.instanceId).toBe(instance?.InstanceId);
    expect(failed.failureReason).toBe(
      `Instance ${instance?.InstanceId} ended (terminated) before it was ever running: Server.InternalError: Internal error on launch`,
    );
    expect(failed.timeline.map((entry) => entry.type)).toEqual(
      expect.arrayContaining(["ProvisioningStarted", "ProvisioningFailed"]),
    );
    const [requesterEmail] = await waitForEmails(stack, "ana@example.com", "Server.InternalError");
    expect(requesterEmail?.subject).toContain(requestId);
    expect(requesterEmail?.body.text).toContain(String(failed.failureReason));
  });

  it("launches an Ubuntu request on a Graviton type from Ubuntu's arm64 image", async () => {
    const requestId = await submitAndApprove({
      ...sampleRequest().resource,
      os: "ubuntu-24.04",
      instanceType: "t4g.micro",
      privateIp: "10.0.1.31",
    });

    const provisioned = await waitForStatus(stack, requestId, "PROVISIONED");

    const [instance] = await instancesOf(requestId);
    const ubuntuArmParameter = ssmParameterOf(DEFAULT_IMAGES["ubuntu-24.04"].arm64) as string;
    expect(instance?.InstanceId).toBe(provisioned.instanceId);
    expect(instance?.InstanceType).toBe("t4g.micro");
    expect(instance?.ImageId).toBe(localImageIdOf(ubuntuArmParameter, await stack.ec2.config.region()));
    // Ubuntu boots from /dev/sda1: the requested volume replaces that root disk, no second disk appears.
    expect(instance?.RootDeviceName).toBe("/dev/sda1");
    expect(instance?.BlockDeviceMappings?.map((mapping) => mapping.DeviceName)).toEqual(["/dev/sda1"]);
  });

  it.each([
    [{ type: "st1", sizeGiB: 500 }, "10.0.1.41", ["/dev/sda1", "/dev/sdf"]],
    [{ type: "io1", sizeGiB: 20 }, "10.0.1.42", ["/dev/sda1"]],
  ])("launches a %o volume the way EC2 accepts it", async (volume, privateIp, devices) => {
    const requestId = await submitAndApprove({
      ...sampleRequest().resource,
      os: "ubuntu-24.04",
      instanceType: "t3.micro",
      volume,
      privateIp,
    });

    await waitForStatus(stack, requestId, "PROVISIONED");

    const [instance] = await instancesOf(requestId);
    expect(instance?.BlockDeviceMappings?.map((mapping) => mapping.DeviceName)).toEqual(devices);
  });
});
