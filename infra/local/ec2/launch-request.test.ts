import { describe, expect, it } from "vitest";
import { localImageIdOf } from "./images.ts";
import { Ec2Error, type RunInstancesInput } from "./resources.ts";
import { launch, launchedId, REGION, useLocalEc2 } from "./testing/local-ec2.ts";

const { openEc2 } = useLocalEc2();

describe("LocalEc2 launch requests", () => {
  it("resolves a resolve:ssm: image, as AWS does, to one stable AMI per parameter, recorded on the instance", async () => {
    const { ec2 } = openEc2({ bootDelayMs: 60_000 });
    const parameter = "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id";
    const imageOf = async (imageId: string) =>
      (await ec2.runInstances(REGION, launch({ imageId }))).instances[0]?.imageId;

    const first = await imageOf(`resolve:ssm:${parameter}`);
    const again = await imageOf(`resolve:ssm:${parameter}`);
    const byVersion = await imageOf(`resolve:ssm:${parameter}:3`);
    const other = await imageOf(
      "resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
    );

    expect(first).toMatch(/^ami-[0-9a-f]{17}$/);
    expect(first).toBe(localImageIdOf(parameter, REGION));
    expect([again, byVersion]).toEqual([first, first]);
    expect(other).not.toBe(first);
    expect(
      ec2.describeInstances(REGION, { filters: [{ name: "image-id", values: [first as string] }] }),
    ).toHaveLength(3);
  });

  it.each<[string, Partial<RunInstancesInput>, string]>([
    ["a malformed image id", { imageId: "ami-xyz" }, "InvalidAMIID.Malformed"],
    ["an SSM image reference without a parameter", { imageId: "resolve:ssm:" }, "InvalidParameterValue"],
    [
      "an SSM image reference to a path not rooted at /",
      { imageId: "resolve:ssm:aws/service/ami-windows-latest/x" },
      "InvalidParameterValue",
    ],
    [
      "an SSM image reference with a space in its parameter",
      { imageId: "resolve:ssm:/golden ami" },
      "InvalidParameterValue",
    ],
    ["a malformed instance type", { instanceType: "huge" }, "InvalidParameterValue"],
    ["MinCount 0", { minCount: 0 }, "InvalidParameterValue"],
    ["MinCount above MaxCount", { minCount: 1, maxCount: 0 }, "InvalidParameterValue"],
    ["MaxCount 2", { maxCount: 2 }, "InstanceLimitExceeded"],
    ["a malformed subnet id", { subnetId: "subnet-0abc" }, "InvalidSubnetID.Malformed"],
    ["an IP that is not IPv4", { privateIpAddress: "10.0.1.256" }, "InvalidParameterValue"],
    ["a client token over 64 characters", { clientToken: "x".repeat(65) }, "InvalidParameterValue"],
    [
      "a volume below its type's minimum",
      { blockDeviceMappings: [{ deviceName: "/dev/xvdb", ebs: { volumeSize: 10, volumeType: "st1" } }] },
      "InvalidParameterValue",
    ],
    [
      "an unknown volume type",
      { blockDeviceMappings: [{ deviceName: "/dev/xvdb", ebs: { volumeType: "fast" } }] },
      "InvalidParameterValue",
    ],
    [
      "a mapping without a device name",
      { blockDeviceMappings: [{ ebs: { volumeSize: 20 } }] },
      "MissingParameter",
    ],
    [
      "a mapping without EBS",
      { blockDeviceMappings: [{ deviceName: "/dev/xvdb" }] },
      "InvalidParameterValue",
    ],
    [
      "tags for a resource type it cannot tag",
      { tagSpecifications: [{ resourceType: "image", tags: [] }] },
      "InvalidParameterValue",
    ],
    [
      "a reserved tag key",
      { tagSpecifications: [{ resourceType: "instance", tags: [{ key: "aws:owner", value: "x" }] }] },
      "InvalidParameterValue",
    ],
    [
      "a duplicate tag key",
      { tagSpecifications: [{ resourceType: "instance", tags: [{ key: "a" }, { key: "a" }] }] },
      "InvalidParameterValue",
    ],
    [
      "a tag value with a control character",
      { tagSpecifications: [{ resourceType: "volume", tags: [{ key: "a", value: "\u0001" }] }] },
      "InvalidParameterValue",
    ],
    [
      "51 tags",
      {
        tagSpecifications: [
          {
            resourceType: "instance",
            tags: Array.from({ length: 51 }, (_, index) => ({ key: `k${index}` })),
          },
        ],
      },
      "TagLimitExceeded",
    ],
  ])("refuses %s with %s", async (_, overrides, code) => {
    const { ec2 } = openEc2();

    const attempt = ec2.runInstances(REGION, launch(overrides));

    await expect(attempt).rejects.toBeInstanceOf(Ec2Error);
    await expect(attempt).rejects.toMatchObject({ code });
    expect(ec2.describeInstances(REGION)).toEqual([]);
  });

  it("attaches up to 128 volumes, the most any instance type takes, and refuses one more with AttachmentLimitExceeded", async () => {
    const { ec2 } = openEc2();
    const dataVolumes = (count: number) =>
      Array.from({ length: count }, (_, index) => ({ deviceName: `/dev/data${index}`, ebs: {} }));

    const largest = await ec2.runInstances(REGION, launch({ blockDeviceMappings: dataVolumes(127) }));
    const oneMore = ec2.runInstances(REGION, launch({ blockDeviceMappings: dataVolumes(128) }));

    expect(largest.instances[0]?.volumes).toHaveLength(128);
    await expect(oneMore).rejects.toMatchObject({ code: "AttachmentLimitExceeded" });
  });

  it("tags the instance and every volume, the root volume included, from their own specifications", async () => {
    const { ec2 } = openEc2();

    const instanceId = await launchedId(
      ec2,
      launch({
        blockDeviceMappings: [{ deviceName: "/dev/xvdb", ebs: { volumeSize: 125, volumeType: "st1" } }],
        tagSpecifications: [
          { resourceType: "instance", tags: [{ key: "Name", value: "build-box" }] },
          { resourceType: "volume", tags: [{ key: "RequestId", value: "req-1" }] },
        ],
      }),
    );

    expect(ec2.describeInstances(REGION, { instanceIds: [instanceId] })[0]?.instances[0]?.tags).toEqual([
      { key: "Name", value: "build-box" },
    ]);
    expect(
      ec2.describeVolumes(REGION, { filters: [{ name: "attachment.instance-id", values: [instanceId] }] }),
    ).toEqual([
      expect.objectContaining({
        deviceName: "/dev/xvda",
        size: 8,
        tags: [{ key: "RequestId", value: "req-1" }],
      }),
      expect.objectContaining({
        deviceName: "/dev/xvdb",
        size: 125,
        volumeType: "st1",
        tags: [{ key: "RequestId", value: "req-1" }],
      }),
    ]);
  });
});
