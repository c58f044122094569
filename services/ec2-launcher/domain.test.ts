import { describe, expect, it } from "vitest";
import { sampleRequest } from "../../test/support/fixtures.ts";
import {
  buildRunInstancesInput,
  classifyLaunchError,
  endedBeforeRunningReason,
  type LaunchSettings,
  launchRefusalReason,
  outcomeOfState,
} from "./domain.ts";

const request = sampleRequest();

const settings: LaunchSettings = {
  imageId: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
  securityGroupIds: ["sg-0123456789abcdef0"],
  defaultSubnetId: "subnet-0def5678",
};

describe("buildRunInstancesInput", () => {
  it("launches one instance of the request, idempotent on its id, tagged on instance and volume", () => {
    const tags = [
      { Key: "RequestId", Value: "req-1" },
      { Key: "Requester", Value: "ana@example.com" },
      { Key: "Approver", Value: "bob@example.com" },
      { Key: "Name", Value: "build-box" },
    ];

    const input = buildRunInstancesInput(request, "bob@example.com", settings);

    expect(input).toStrictEqual({
      ClientToken: "req-1",
      ImageId: settings.imageId,
      InstanceType: "t3.micro",
      MinCount: 1,
      MaxCount: 1,
      SubnetId: "subnet-0abc1234",
      PrivateIpAddress: "10.0.1.25",
      SecurityGroupIds: ["sg-0123456789abcdef0"],
      BlockDeviceMappings: [
        { DeviceName: "/dev/xvda", Ebs: { VolumeSize: 20, VolumeType: "gp3", DeleteOnTermination: true } },
      ],
      TagSpecifications: [
        { ResourceType: "instance", Tags: tags },
        { ResourceType: "volume", Tags: tags },
      ],
    });
  });

  it("falls back to the configured subnet when the request names none", () => {
    const { subnetId: _, ...resource } = request.resource;

    const input = buildRunInstancesInput({ ...request, resource }, "bob@example.com", settings);

    expect(input.SubnetId).toBe("subnet-0def5678");
  });

  it("leaves out what neither the request nor the configuration sets", () => {
    const minimal = sampleRequest({
      resource: { type: "ec2", instanceType: "t3.nano", os: "amazon-linux-2023" },
    });

    const input = buildRunInstancesInput(minimal, "bob@example.com", {
      imageId: "ami-12345678",
      securityGroupIds: [],
    });

    expect(Object.keys(input)).toEqual([
      "ClientToken",
      "ImageId",
      "InstanceType",
      "MinCount",
      "MaxCount",
      "TagSpecifications",
    ]);
  });

  it("names the instance after the request id when the request gives no name", () => {
    const { name: _, ...resource } = request.resource;

    const input = buildRunInstancesInput({ ...request, resource }, "bob@example.com", settings);

    const nameTags = input.TagSpecifications?.map(
      (spec) => spec.Tags?.find((tag) => tag.Key === "Name")?.Value,
    );
    expect(nameTags).toEqual(["req-1", "req-1"]);
  });
});

describe("classifyLaunchError", () => {
  it.each([
    "InvalidParameterValue",
    "InvalidParameterCombination",
    "IdempotentParameterMismatch",
    "InvalidSubnetID.NotFound",
    "InvalidSubnetID.Malformed",
    "InvalidAMIID.NotFound",
    "InvalidAMIID.Malformed",
    "Unsupported",
    "InvalidInstanceType",
    "MissingParameter",
    "InvalidGroup.NotFound",
    "InvalidIPAddress.InUse",
  ])("fails the request at once on %s", (code) => {
    expect(classifyLaunchError({ code, message: "refused" })).toBe("permanent");
  });

  it.each([
    "RequestLimitExceeded",
    "InsufficientInstanceCapacity",
    "InstanceLimitExceeded",
    "ServiceUnavailable",
    "InternalError",
    "UnauthorizedOperation",
    "SomethingNew",
  ])("retries on %s", (code) => {
    expect(classifyLaunchError({ code, message: "try later" })).toBe("retryable");
  });

  it("retries when EC2 never answered", () => {
    expect(classifyLaunchError({ message: "connect ECONNREFUSED 127.0.0.1:4566" })).toBe("retryable");
  });

  it("gives the code and EC2's message as the reason", () => {
    expect(
      launchRefusalReason({ code: "InvalidAMIID.NotFound", message: "The image id does not exist" }),
    ).toBe("EC2 refused to launch the instance (InvalidAMIID.NotFound): The image id does not exist");
  });
});

describe("outcomeOfState", () => {
  it.each([
    ["running", "provisioned"],
    ["shutting-down", "failed"],
    ["terminated", "failed"],
    ["pending", undefined],
    ["stopping", undefined],
    ["stopped", undefined],
  ] as const)("settles a launch whose instance is %s as %s", (state, outcome) => {
    expect(outcomeOfState(state)).toBe(outcome);
  });

  it("explains an instance that ended before it ran, with EC2's reason when known", () => {
    expect(endedBeforeRunningReason("i-0123456789abcdef0", "terminated", "Server.InternalError")).toBe(
      "Instance i-0123456789abcdef0 ended (terminated) before it was ever running: Server.InternalError",
    );
  });
});
