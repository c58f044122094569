import type { BlockDeviceMapping } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import {
  ARCHITECTURES,
  type Architecture,
  type Ec2Resource,
  OPERATING_SYSTEMS,
  type OperatingSystem,
  OS_ARCHITECTURES,
} from "../../events/request.ts";
import {
  buildRunInstancesInput,
  classifyLaunchError,
  DEFAULT_IMAGES,
  endedBeforeRunningReason,
  imageIdFor,
  imageIdIn,
  imageOverridesSchema,
  imagesWith,
  type LaunchSettings,
  launchRefusalReason,
  noImageReason,
  outcomeOfState,
  regionOf,
  ssmParameterOf,
  ssmParametersOf,
  subnetRefusalOf,
} from "./domain.ts";
import { ec2RequestOf } from "./testing/requests.ts";

const request = ec2RequestOf();

const settings: LaunchSettings = {
  images: imagesWith({}),
  regionalImages: {},
  stackRegion: "us-east-1",
  securityGroupIds: ["sg-0123456789abcdef0"],
  defaultSubnetId: "subnet-0def5678",
  allowedSubnetIds: ["subnet-0abc1234", "subnet-0def5678"],
  deploymentName: "approvals-prod",
};
const IMAGE_ID = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

describe("imageIdFor with the default images", () => {
  it.each<[OperatingSystem, Architecture, string]>([
    [
      "amazon-linux-2023",
      "x86_64",
      "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    ],
    [
      "amazon-linux-2023",
      "arm64",
      "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
    ],
    [
      "ubuntu-24.04",
      "x86_64",
      "resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
    ],
    [
      "ubuntu-24.04",
      "arm64",
      "resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id",
    ],
    [
      "ubuntu-22.04",
      "x86_64",
      "resolve:ssm:/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id",
    ],
    [
      "ubuntu-22.04",
      "arm64",
      "resolve:ssm:/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id",
    ],
    [
      "windows-server-2022",
      "x86_64",
      "resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
    ],
  ])("launches %s on %s from AWS's public parameter", (os, architecture, imageId) => {
    expect(imageIdFor(os, architecture, imagesWith({}))).toBe(imageId);
  });

  it("has an image for exactly the architectures each operating system runs on", () => {
    for (const os of OPERATING_SYSTEMS) {
      const covered = ARCHITECTURES.filter((architecture) => imageIdFor(os, architecture, imagesWith({})));
      expect(covered, os).toEqual(OS_ARCHITECTURES[os]);
    }
  });

  it("finds nothing where no image is configured, and says what to set", () => {
    expect(imageIdFor("ubuntu-24.04", "arm64", {})).toBeUndefined();
    expect(noImageReason("ubuntu-24.04", "arm64", "eu-west-1")).toBe(
      "No image is configured for ubuntu-24.04 on arm64 in eu-west-1: an operator can name one in the image settings (IMAGE_IDS)",
    );
  });
});

describe("image overrides", () => {
  it("replace only the images they name", () => {
    const images = imagesWith({ "ubuntu-24.04": { arm64: "ami-0123456789abcdef0" } });

    expect(imageIdFor("ubuntu-24.04", "arm64", images)).toBe("ami-0123456789abcdef0");
    expect(imageIdFor("ubuntu-24.04", "x86_64", images)).toBe(DEFAULT_IMAGES["ubuntu-24.04"].x86_64);
    expect(imageIdFor("amazon-linux-2023", "arm64", images)).toBe(DEFAULT_IMAGES["amazon-linux-2023"].arm64);
  });

  it("are read from JSON text as from an object", () => {
    const overrides = {
      "amazon-linux-2023": { x86_64: "ami-00000000000000bad" },
      "ubuntu-22.04": { arm64: "resolve:ssm:/golden/ubuntu:3" },
      "windows-server-2022": { x86_64: "resolve:ssm:golden-windows" },
    };

    expect(imageOverridesSchema.parse(JSON.stringify(overrides))).toEqual(overrides);
    expect(imageOverridesSchema.parse(overrides)).toEqual(overrides);
  });

  it.each([
    ["text that is not JSON", "{ubuntu", "", /^must be JSON like/],
    ["a list", "[]", "", /^must be an object keyed by operating system$/],
    [
      "an operating system not offered",
      { "rhel-9": {} },
      "",
      /^names an unknown operating system rhel-9 \(known: amazon-linux-2023, /,
    ],
    [
      "an unknown architecture",
      { "ubuntu-24.04": { aarch64: "ami-0123456789abcdef0" } },
      "ubuntu-24.04",
      /unknown architecture aarch64/,
    ],
    [
      "an image that is neither an AMI id nor an SSM reference",
      { "ubuntu-24.04": { arm64: "ubuntu" } },
      "ubuntu-24.04.arm64",
      /^must be an AMI id \(ami-0123456789abcdef0\) or an SSM parameter reference/,
    ],
    [
      "an SSM reference without a parameter",
      { "ubuntu-24.04": { arm64: "resolve:ssm:" } },
      "ubuntu-24.04.arm64",
      /^must be an AMI id/,
    ],
    [
      "an architecture the OS does not run on",
      { "windows-server-2022": { arm64: "ami-0123456789abcdef0" } },
      "windows-server-2022.arm64",
      /^cannot be set: windows-server-2022 runs only on x86_64$/,
    ],
  ])("refuse %s, naming the entry", (_, overrides, path, message) => {
    const issues = imageOverridesSchema.safeParse(overrides).error?.issues ?? [];

    expect(issues.map((issue) => issue.path.join("."))).toEqual([path]);
    expect(issues[0]?.message).toMatch(message);
  });
});

describe("images per region", () => {
  const images = {
    images: imagesWith({ "ubuntu-24.04": { arm64: "resolve:ssm:/golden/ubuntu" } }),
    regionalImages: { "eu-west-1": { "ubuntu-24.04": { arm64: "ami-0123456789abcdef0" } } },
  };

  it("launch a region's own image there, and the common one everywhere else", () => {
    expect(imageIdIn("eu-west-1", "ubuntu-24.04", "arm64", images)).toBe("ami-0123456789abcdef0");
    expect(imageIdIn("us-east-1", "ubuntu-24.04", "arm64", images)).toBe("resolve:ssm:/golden/ubuntu");
  });

  it("fall back to the common image for what the region does not name", () => {
    expect(imageIdIn("eu-west-1", "ubuntu-24.04", "x86_64", images)).toBe(
      DEFAULT_IMAGES["ubuntu-24.04"].x86_64,
    );
  });

  it("are read from IMAGE_IDS under regions, beside the common overrides", () => {
    const overrides = {
      "ubuntu-24.04": { arm64: "resolve:ssm:/golden/ubuntu" },
      regions: { "eu-west-1": { "ubuntu-24.04": { arm64: "ami-0123456789abcdef0" } } },
    };

    expect(imageOverridesSchema.parse(JSON.stringify(overrides))).toEqual(overrides);
  });

  it.each([
    [
      "a region that is no region code",
      { regions: { Ireland: {} } },
      "regions.Ireland",
      /^must be an AWS region code such as eu-west-1$/,
    ],
    [
      "a parameter reference, which resolves in every region",
      { regions: { "eu-west-1": { "ubuntu-24.04": { arm64: "resolve:ssm:/golden/ubuntu" } } } },
      "regions.eu-west-1.ubuntu-24.04.arm64",
      /^must be an AMI id \(ami-0123456789abcdef0\): a parameter reference/,
    ],
    [
      "an operating system not offered",
      { regions: { "eu-west-1": { "rhel-9": {} } } },
      "regions.eu-west-1",
      /^names an unknown operating system rhel-9/,
    ],
    [
      "an architecture the OS does not run on",
      { regions: { "eu-west-1": { "windows-server-2022": { arm64: "ami-0123456789abcdef0" } } } },
      "regions.eu-west-1.windows-server-2022.arm64",
      /^cannot be set: windows-server-2022 runs only on x86_64$/,
    ],
    ["regions that are no object", { regions: [] }, "regions", /^must be an object keyed by region$/],
  ])("refuse %s, naming the entry", (_, overrides, path, message) => {
    const issues = imageOverridesSchema.safeParse(overrides).error?.issues ?? [];

    expect(issues.map((issue) => issue.path.join("."))).toEqual([path]);
    expect(issues[0]?.message).toMatch(message);
  });
});

describe("regionOf", () => {
  it("creates a request's resources in its region", () => {
    expect(regionOf(ec2RequestOf({ region: "eu-west-1" }), settings)).toBe("eu-west-1");
  });

  it("creates those of a request from before regions in the stack's own region", () => {
    expect(regionOf(ec2RequestOf(), settings)).toBe("us-east-1");
  });
});

describe("subnetRefusalOf", () => {
  it("refuses a subnet outside ALLOWED_SUBNET_IDS, naming it and the allowed ones", () => {
    expect(subnetRefusalOf({ subnetId: "subnet-0bad0bad" }, settings)).toBe(
      "Subnet subnet-0bad0bad is not one this deployment launches into (ALLOWED_SUBNET_IDS: subnet-0abc1234, subnet-0def5678)",
    );
  });

  it("lets through an allowed subnet, no subnet (the default one), and any subnet when nothing is listed", () => {
    expect(subnetRefusalOf({ subnetId: "subnet-0abc1234" }, settings)).toBeUndefined();
    expect(subnetRefusalOf({}, settings)).toBeUndefined();
    expect(subnetRefusalOf({ subnetId: "subnet-0bad0bad" }, { allowedSubnetIds: [] })).toBeUndefined();
  });
});

describe("ssmParametersOf", () => {
  it("lists each parameter the images resolve through once, without version or label", () => {
    const images = imagesWith({
      "amazon-linux-2023": { x86_64: "ami-0123456789abcdef0" },
      "ubuntu-24.04": { x86_64: "resolve:ssm:/golden/ubuntu:7", arm64: "resolve:ssm:/golden/ubuntu:latest" },
    });

    expect(ssmParametersOf(images).sort()).toEqual(
      [
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
        "/golden/ubuntu",
        "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id",
        "/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id",
        "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
      ].sort(),
    );
  });

  it("reads no parameter out of a plain AMI id", () => {
    expect(ssmParameterOf("ami-0123456789abcdef0")).toBeUndefined();
    expect(ssmParameterOf("resolve:ssm:golden-ami")).toBe("golden-ami");
  });
});

describe("buildRunInstancesInput", () => {
  it("launches one instance of the request, idempotent on its id, tagged on instance and volume with the request and the deployment", () => {
    const tags = [
      { Key: "RequestId", Value: "req-1" },
      { Key: "Requester", Value: "ana@example.com" },
      { Key: "Approver", Value: "bob@example.com" },
      { Key: "Name", Value: "build-box" },
      { Key: "approvals:stack", Value: "approvals-prod" },
    ];

    const input = buildRunInstancesInput(request, "bob@example.com", IMAGE_ID, settings);

    expect(input).toStrictEqual({
      ClientToken: "req-1",
      ImageId: IMAGE_ID,
      InstanceType: "t3.micro",
      MinCount: 1,
      MaxCount: 1,
      SubnetId: "subnet-0abc1234",
      PrivateIpAddress: "10.0.1.25",
      SecurityGroupIds: ["sg-0123456789abcdef0"],
      BlockDeviceMappings: [
        {
          DeviceName: "/dev/xvda",
          Ebs: { VolumeSize: 20, VolumeType: "gp3", DeleteOnTermination: true, Encrypted: true },
        },
      ],
      MetadataOptions: { HttpTokens: "required", HttpEndpoint: "enabled" },
      TagSpecifications: [
        { ResourceType: "instance", Tags: tags },
        { ResourceType: "volume", Tags: tags },
      ],
    });
  });

  it("falls back to the configured subnet when the request names none", () => {
    const { subnetId: _, ...resource } = request.resource;

    const input = buildRunInstancesInput({ ...request, resource }, "bob@example.com", IMAGE_ID, settings);

    expect(input.SubnetId).toBe("subnet-0def5678");
  });

  it("leaves out what neither the request nor the configuration sets, but never IMDSv2 nor the encrypted root volume", () => {
    const minimal = ec2RequestOf({
      resource: { type: "ec2", instanceType: "t3.nano", os: "amazon-linux-2023" },
    });

    const input = buildRunInstancesInput(minimal, "bob@example.com", "ami-12345678", {
      securityGroupIds: [],
      deploymentName: "approvals-prod",
    });

    expect(Object.keys(input)).toEqual([
      "ClientToken",
      "ImageId",
      "InstanceType",
      "MinCount",
      "MaxCount",
      "BlockDeviceMappings",
      "MetadataOptions",
      "TagSpecifications",
    ]);
    expect(input.BlockDeviceMappings).toStrictEqual([{ DeviceName: "/dev/xvda", Ebs: { Encrypted: true } }]);
    expect(input.MetadataOptions).toStrictEqual({ HttpTokens: "required", HttpEndpoint: "enabled" });
  });

  it("names the instance after the request id when the request gives no name", () => {
    const { name: _, ...resource } = request.resource;

    const input = buildRunInstancesInput({ ...request, resource }, "bob@example.com", IMAGE_ID, settings);

    const nameTags = input.TagSpecifications?.map(
      (spec) => spec.Tags?.find((tag) => tag.Key === "Name")?.Value,
    );
    expect(nameTags).toEqual(["req-1", "req-1"]);
  });
});

describe("the requested volume in BlockDeviceMappings", () => {
  const mappingsFor = (os: OperatingSystem, volume: NonNullable<Ec2Resource["volume"]>) =>
    buildRunInstancesInput(
      { ...request, resource: { ...request.resource, os, volume } },
      "bob@example.com",
      IMAGE_ID,
      settings,
    ).BlockDeviceMappings;

  it.each<[OperatingSystem, string, string]>([
    ["amazon-linux-2023", "/dev/xvda", "/dev/sdf"],
    ["ubuntu-24.04", "/dev/sda1", "/dev/sdf"],
    ["ubuntu-22.04", "/dev/sda1", "/dev/sdf"],
    ["windows-server-2022", "/dev/sda1", "xvdf"],
  ])(
    "on %s replaces the root volume %s with an SSD volume, and adds an HDD one as %s beside the encrypted root",
    (os, root, data) => {
      expect(mappingsFor(os, { sizeGiB: 30, type: "gp3" })).toStrictEqual([
        {
          DeviceName: root,
          Ebs: { VolumeSize: 30, VolumeType: "gp3", DeleteOnTermination: true, Encrypted: true },
        },
      ]);
      expect(mappingsFor(os, { sizeGiB: 500, type: "st1" })).toStrictEqual([
        { DeviceName: root, Ebs: { Encrypted: true } },
        {
          DeviceName: data,
          Ebs: { VolumeSize: 500, VolumeType: "st1", DeleteOnTermination: true, Encrypted: true },
        },
      ]);
    },
  );

  it.each<[string, NonNullable<Ec2Resource["volume"]>, BlockDeviceMapping]>([
    [
      "gp3 as the root volume, with its baseline IOPS left to EC2",
      { sizeGiB: 20, type: "gp3" },
      {
        DeviceName: "/dev/xvda",
        Ebs: { VolumeSize: 20, VolumeType: "gp3", DeleteOnTermination: true, Encrypted: true },
      },
    ],
    [
      "gp2 as the root volume",
      { sizeGiB: 20, type: "gp2" },
      {
        DeviceName: "/dev/xvda",
        Ebs: { VolumeSize: 20, VolumeType: "gp2", DeleteOnTermination: true, Encrypted: true },
      },
    ],
    [
      "io1 as the root volume with 3,000 IOPS once it is large enough (60 GiB at 50 per GiB)",
      { sizeGiB: 100, type: "io1" },
      {
        DeviceName: "/dev/xvda",
        Ebs: { VolumeSize: 100, VolumeType: "io1", Iops: 3000, DeleteOnTermination: true, Encrypted: true },
      },
    ],
    [
      "io1 below 60 GiB with the 50 IOPS per GiB EC2 allows",
      { sizeGiB: 20, type: "io1" },
      {
        DeviceName: "/dev/xvda",
        Ebs: { VolumeSize: 20, VolumeType: "io1", Iops: 1000, DeleteOnTermination: true, Encrypted: true },
      },
    ],
    [
      "the smallest io1 volume with 400 IOPS, above EC2's minimum of 100",
      { sizeGiB: 8, type: "io1" },
      {
        DeviceName: "/dev/xvda",
        Ebs: { VolumeSize: 8, VolumeType: "io1", Iops: 400, DeleteOnTermination: true, Encrypted: true },
      },
    ],
    [
      "the smallest io2 volume with 3,000 IOPS, within its 1,000 per GiB",
      { sizeGiB: 8, type: "io2" },
      {
        DeviceName: "/dev/xvda",
        Ebs: { VolumeSize: 8, VolumeType: "io2", Iops: 3000, DeleteOnTermination: true, Encrypted: true },
      },
    ],
    [
      "the largest io2 volume with 3,000 IOPS",
      { sizeGiB: 16384, type: "io2" },
      {
        DeviceName: "/dev/xvda",
        Ebs: { VolumeSize: 16384, VolumeType: "io2", Iops: 3000, DeleteOnTermination: true, Encrypted: true },
      },
    ],
    [
      "st1 as a data volume, beside the image's root volume",
      { sizeGiB: 125, type: "st1" },
      {
        DeviceName: "/dev/sdf",
        Ebs: { VolumeSize: 125, VolumeType: "st1", DeleteOnTermination: true, Encrypted: true },
      },
    ],
    [
      "sc1 as a data volume, beside the image's root volume",
      { sizeGiB: 16384, type: "sc1" },
      {
        DeviceName: "/dev/sdf",
        Ebs: { VolumeSize: 16384, VolumeType: "sc1", DeleteOnTermination: true, Encrypted: true },
      },
    ],
  ])("maps %s, encrypted", (_, volume, mapping) => {
    expect(mappingsFor("amazon-linux-2023", volume)).toContainEqual(mapping);
  });

  it("encrypts every volume the instance gets, the image's root volume included", () => {
    for (const volume of [undefined, { sizeGiB: 20, type: "gp3" }, { sizeGiB: 500, type: "sc1" }] as const) {
      const mappings = buildRunInstancesInput(
        { ...request, resource: { ...request.resource, volume } },
        "bob@example.com",
        IMAGE_ID,
        settings,
      ).BlockDeviceMappings;
      expect(mappings?.map((mapping) => mapping.DeviceName)).toContain("/dev/xvda");
      expect(mappings?.every((mapping) => mapping.Ebs?.Encrypted === true)).toBe(true);
    }
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
