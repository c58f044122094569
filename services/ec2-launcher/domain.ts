import type { BlockDeviceMapping, RunInstancesCommandInput, Tag } from "@aws-sdk/client-ec2";
import { z } from "zod";
import type { EC2_INSTANCE_STATES } from "../../events/ec2-state-change.ts";
import { type Region, regionSchema } from "../../events/region.ts";
import {
  ARCHITECTURES,
  type Architecture,
  acceptedRequestSchema,
  type Ec2Resource,
  ec2ResourceSchema,
  isBootVolumeType,
  OPERATING_SYSTEMS,
  type OperatingSystem,
  OS_ARCHITECTURES,
  type RequestFor,
  type VolumeType,
} from "../../events/request.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { jsonSetting } from "../shared/config.ts";
import { DEPLOYMENT_TAG_KEY } from "../shared/deployment-tag.ts";

/**
 * `RequestApproved` as the launcher takes it: its subscription routes only EC2 requests here, so the
 * parse narrows the resource to EC2's, and anything else is refused as a broken contract.
 */
export const ec2ApprovalSchema = RequestApproved.schema.extend({
  request: acceptedRequestSchema.extend({ resource: ec2ResourceSchema }),
});
export type Ec2Approval = z.output<typeof ec2ApprovalSchema>;
export type Ec2Request = RequestFor<"ec2">;

/**
 * The image each operating system launches from, per architecture: an `ami-...` id, or a `resolve:ssm:`
 * parameter reference, which RunInstances resolves itself at each launch.
 */
export type ImageTable = Partial<Record<OperatingSystem, Partial<Record<Architecture, string>>>>;

/** Images of one region only, by region: an AMI id exists in the region it was made in, and nowhere else. */
export type RegionalImages = Partial<Record<Region, ImageTable>>;

export interface LaunchSettings {
  /** The images of every region. */
  images: ImageTable;
  /** Each region's own images, which win over `images` in that region. */
  regionalImages: RegionalImages;
  /** The stack's own region, where requests accepted before requests named a region launch. */
  stackRegion: Region;
  securityGroupIds: string[];
  /** Where instances go when the request names no subnet; absent means the default VPC's choice. */
  defaultSubnetId?: string;
  /** The only subnets a request may name (ALLOWED_SUBNET_IDS, the role's own limit); empty, any. */
  allowedSubnetIds: string[];
  /** DEPLOYMENT_NAME, the value of the deployment's tag on what it launches. */
  deploymentName: string;
}

/**
 * AWS's public parameters, which always name the latest image of their OS in every region, so no AMI id
 * goes stale here. Canonical publishes Ubuntu 24.04 on gp3 volumes and 22.04 on gp2.
 */
export const DEFAULT_IMAGES = {
  "amazon-linux-2023": {
    x86_64: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    arm64: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
  },
  "ubuntu-24.04": {
    x86_64: "resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
    arm64: "resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id",
  },
  "ubuntu-22.04": {
    x86_64: "resolve:ssm:/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id",
    arm64: "resolve:ssm:/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id",
  },
  "windows-server-2022": {
    x86_64: "resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
  },
} as const satisfies Record<OperatingSystem, Partial<Record<Architecture, string>>>;

/** The defaults, with each image an operator overrides replaced. */
export const imagesWith = (overrides: ImageTable): ImageTable =>
  Object.fromEntries(OPERATING_SYSTEMS.map((os) => [os, { ...DEFAULT_IMAGES[os], ...overrides[os] }]));

/** The image to launch for this OS on this architecture; undefined when none is configured. */
export const imageIdFor = (
  os: OperatingSystem,
  architecture: Architecture,
  images: ImageTable,
): string | undefined => images[os]?.[architecture];

/** The image to launch for this OS on this architecture in this region: the region's own, else the common one. */
export const imageIdIn = (
  region: Region,
  os: OperatingSystem,
  architecture: Architecture,
  { images, regionalImages }: Pick<LaunchSettings, "images" | "regionalImages">,
): string | undefined =>
  imageIdFor(os, architecture, regionalImages[region] ?? {}) ?? imageIdFor(os, architecture, images);

/** Where the request's resources are created: its region, or the stack's for a request from before regions. */
export const regionOf = (request: Ec2Request, { stackRegion }: Pick<LaunchSettings, "stackRegion">): Region =>
  request.region ?? stackRegion;

export const noImageReason = (os: OperatingSystem, architecture: Architecture, region: Region): string =>
  `No image is configured for ${os} on ${architecture} in ${region}: an operator can name one in the image settings (IMAGE_IDS)`;

/**
 * Why the request's subnet is not one the deployment launches into, if it is not. EC2 would refuse it
 * with `UnauthorizedOperation`, which reads as a permission to fix and is retried, so the launcher
 * refuses it first. The default subnet is among the allowed ones (the stack's context checks it).
 */
export const subnetRefusalOf = (
  { subnetId }: Pick<Ec2Resource, "subnetId">,
  { allowedSubnetIds }: Pick<LaunchSettings, "allowedSubnetIds">,
): string | undefined =>
  subnetId !== undefined && allowedSubnetIds.length > 0 && !allowedSubnetIds.includes(subnetId)
    ? `Subnet ${subnetId} is not one this deployment launches into (ALLOWED_SUBNET_IDS: ${allowedSubnetIds.join(", ")})`
    : undefined;

const SSM_IMAGE_PREFIX = "resolve:ssm:";
/** AWS's two AMI id lengths. */
const AMI_ID = /^ami-[0-9a-f]{8}([0-9a-f]{9})?$/;
/** `resolve:ssm:` and a parameter name (one word, or a `/`-rooted path), optionally `:version` or `:label`. */
const SSM_IMAGE_REFERENCE = /^resolve:ssm:(?<name>[\w.-]+|(?:\/[\w.-]+)+)(?::[\w.-]+)?$/;

/** The SSM parameter an image reference resolves through; undefined for a plain AMI id. */
export const ssmParameterOf = (imageId: string): string | undefined =>
  SSM_IMAGE_REFERENCE.exec(imageId)?.groups?.name;

/** Every SSM parameter the launcher may resolve through with these images, each once. */
export const ssmParametersOf = (images: ImageTable): string[] => [
  ...new Set(
    Object.values(images)
      .flatMap((byArchitecture) => Object.values(byArchitecture ?? {}))
      .flatMap((imageId) => ssmParameterOf(imageId) ?? []),
  ),
];

const imageReferenceSchema = z
  .string("must be a string")
  .refine(
    (imageId) => AMI_ID.test(imageId) || SSM_IMAGE_REFERENCE.test(imageId),
    `must be an AMI id (ami-0123456789abcdef0) or an SSM parameter reference (${SSM_IMAGE_PREFIX}/path/to/parameter)`,
  );

/** A region's own image: a parameter reference resolves in every region, so only an AMI id is one region's. */
const regionalImageSchema = z
  .string("must be a string")
  .regex(
    AMI_ID,
    `must be an AMI id (ami-0123456789abcdef0): a parameter reference (${SSM_IMAGE_PREFIX}...) resolves in every region, so it goes outside "regions"`,
  );

const unknownKeysMessage =
  (kind: string, known: readonly string[], hint = "") =>
  (issue: z.core.$ZodRawIssue) =>
    issue.code === "unrecognized_keys"
      ? `names an unknown ${kind} ${issue.keys.join(", ")} (known: ${known.join(", ")})${hint}`
      : issue.code === "invalid_type"
        ? `must be an object keyed by ${kind}`
        : undefined;

const architectureImagesOf = (image: z.ZodType<string>) =>
  z.partialRecord(z.enum(ARCHITECTURES), image, {
    error: unknownKeysMessage("architecture", ARCHITECTURES),
  });

/** An optional entry per operating system, each of its architectures' images. */
const imageTableShapeOf = (image: z.ZodType<string>) =>
  Object.fromEntries(OPERATING_SYSTEMS.map((os) => [os, architectureImagesOf(image).optional()])) as {
    [os in OperatingSystem]: z.ZodOptional<ReturnType<typeof architectureImagesOf>>;
  };

/** Only architectures the OS runs on may be named. */
const onlyArchitecturesTheOsRunsOn = (table: ImageTable, context: z.RefinementCtx) => {
  for (const os of OPERATING_SYSTEMS) {
    for (const architecture of ARCHITECTURES) {
      if (table[os]?.[architecture] === undefined || OS_ARCHITECTURES[os].includes(architecture)) continue;
      context.addIssue({
        code: "custom",
        path: [os, architecture],
        input: table[os]?.[architecture],
        message: `cannot be set: ${os} runs only on ${OS_ARCHITECTURES[os].join(" and ")}`,
      });
    }
  }
};

const regionalImagesSchema = z.record(
  regionSchema,
  z
    .strictObject(imageTableShapeOf(regionalImageSchema), {
      error: unknownKeysMessage("operating system", OPERATING_SYSTEMS),
    })
    .superRefine(onlyArchitecturesTheOsRunsOn),
  {
    error: (issue) =>
      issue.code === "invalid_type"
        ? "must be an object keyed by region"
        : // The key's own issue says what a region code looks like.
          issue.code === "invalid_key"
          ? issue.issues[0]?.message
          : undefined,
  },
);

/**
 * An operator's image overrides, `{ "<os>": { "<architecture>": "ami-... or resolve:ssm:..." } }`: each
 * entry replaces that default image in every region. An AMI id exists in one region only, so the
 * images of one region go under `"regions": { "<region>": { "<os>": { "<architecture>": "ami-..." } } }`.
 */
export const imageOverridesSchema = jsonSetting(
  '{"ubuntu-24.04": {"arm64": "resolve:ssm:/golden/ubuntu"}, "regions": {"eu-west-1": {"ubuntu-24.04": {"arm64": "ami-0123456789abcdef0"}}}}',
  z
    .strictObject(
      { ...imageTableShapeOf(imageReferenceSchema), regions: regionalImagesSchema.optional() },
      {
        error: unknownKeysMessage(
          "operating system",
          OPERATING_SYSTEMS,
          `; the images of one region go under "regions"`,
        ),
      },
    )
    .superRefine(onlyArchitecturesTheOsRunsOn),
);
export type ImageOverrides = z.output<typeof imageOverridesSchema>;

/**
 * Where each OS's images keep their root volume: a requested volume that can boot maps that device to
 * replace the root volume (any other device would add a second, empty disk).
 */
export const ROOT_DEVICE_NAMES: Record<OperatingSystem, string> = {
  "amazon-linux-2023": "/dev/xvda",
  "ubuntu-24.04": "/dev/sda1",
  "ubuntu-22.04": "/dev/sda1",
  "windows-server-2022": "/dev/sda1",
};

/**
 * Where a volume that cannot boot (st1, sc1) is attached beside the image's root volume: the first name
 * AWS recommends for EBS data volumes, /dev/sd[f-p] on Linux
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/device_naming.html) and xvd[f-z] on Windows
 * (https://docs.aws.amazon.com/AWSEC2/latest/WindowsGuide/device_naming.html), clear of every root device.
 */
const DATA_DEVICE_NAMES: Record<OperatingSystem, string> = {
  "amazon-linux-2023": "/dev/sdf",
  "ubuntu-24.04": "/dev/sdf",
  "ubuntu-22.04": "/dev/sdf",
  "windows-server-2022": "xvdf",
};

/**
 * The most IOPS EC2 provisions per GiB, for the types that require `Iops`: 50 for io1, 1,000 for io2
 * (https://docs.aws.amazon.com/ebs/latest/userguide/provisioned-iops.html; io2 volumes from before
 * Block Express allowed 500, which gives the same default at every size a request may ask for).
 */
const MAX_IOPS_PER_GIB: Partial<Record<VolumeType, number>> = { io1: 50, io2: 1000 };

/**
 * RunInstances refuses io1 and io2 volumes without `Iops` (AWS's API_EbsBlockDevice reference), and a
 * request does not name any. 3,000 is gp3's baseline and EC2's own default when a volume is modified to
 * io1 or io2 (API_ModifyVolume), so the volume does at least as well as a default gp3 one; a small
 * volume gets the most its size allows instead. That is never below EC2's minimum of 100 (the smallest
 * io1 volume, 4 GiB on AWS and 8 here, allows 200 and 400), nor near the maxima of 64,000 (io1) and
 * 256,000 (io2), so no floor or ceiling is needed.
 */
const DEFAULT_PROVISIONED_IOPS = 3000;

const provisionedIopsOf = ({ sizeGiB, type }: NonNullable<Ec2Resource["volume"]>): number | undefined => {
  const perGiB = MAX_IOPS_PER_GIB[type];
  return perGiB === undefined ? undefined : Math.min(DEFAULT_PROVISIONED_IOPS, perGiB * sizeGiB);
};

/** The requested volume: the root volume resized and retyped, or for an HDD type a data volume beside it. */
const requestedVolumeMappingOf = (
  os: OperatingSystem,
  volume: NonNullable<Ec2Resource["volume"]>,
): BlockDeviceMapping => {
  const iops = provisionedIopsOf(volume);
  return {
    DeviceName: isBootVolumeType(volume.type) ? ROOT_DEVICE_NAMES[os] : DATA_DEVICE_NAMES[os],
    Ebs: {
      VolumeSize: volume.sizeGiB,
      VolumeType: volume.type,
      ...(iops !== undefined && { Iops: iops }),
      DeleteOnTermination: true,
      Encrypted: true,
    },
  };
};

/**
 * Every volume of the instance, encrypted: the requested one, and the image's root volume whenever the
 * request does not replace it, mapped with `Encrypted` alone so it keeps the image's size and type. EBS
 * encryption by default would need an account setting in every allowed region that the stack does not
 * own; asking for it in the launch works in any account, and the launcher's role may create no volume
 * without it (ec2:Encrypted, infra/aws/ec2-permissions.ts).
 */
const blockDeviceMappingsOf = (os: OperatingSystem, volume: Ec2Resource["volume"]): BlockDeviceMapping[] => {
  const requested = volume ? [requestedVolumeMappingOf(os, volume)] : [];
  const replacesRoot = requested.some((mapping) => mapping.DeviceName === ROOT_DEVICE_NAMES[os]);
  return replacesRoot
    ? requested
    : [{ DeviceName: ROOT_DEVICE_NAMES[os], Ebs: { Encrypted: true } }, ...requested];
};

/** IMDSv2 only: the instance's credentials are never handed to an unauthenticated GET (SSRF). */
const METADATA_OPTIONS = { HttpTokens: "required", HttpEndpoint: "enabled" } as const;

/** Tag keys put on every instance and volume launched for a request. */
export const LAUNCH_TAG_KEYS = {
  requestId: "RequestId",
  requester: "Requester",
  approver: "Approver",
  name: "Name",
  deployment: DEPLOYMENT_TAG_KEY,
} as const;

export const launchTagsOf = (request: Ec2Request, approver: string, deploymentName: string): Tag[] => [
  { Key: LAUNCH_TAG_KEYS.requestId, Value: request.requestId },
  { Key: LAUNCH_TAG_KEYS.requester, Value: request.requester.email },
  { Key: LAUNCH_TAG_KEYS.approver, Value: approver },
  { Key: LAUNCH_TAG_KEYS.name, Value: request.resource.name ?? request.requestId },
  { Key: LAUNCH_TAG_KEYS.deployment, Value: deploymentName },
];

/**
 * The one RunInstances call for an approved request. `ClientToken = requestId` makes every redelivery
 * land on the same instance instead of launching another.
 */
export const buildRunInstancesInput = (
  request: Ec2Request,
  approver: string,
  imageId: string,
  settings: Pick<LaunchSettings, "securityGroupIds" | "defaultSubnetId" | "deploymentName">,
): RunInstancesCommandInput => {
  const { resource } = request;
  const subnetId = resource.subnetId ?? settings.defaultSubnetId;
  const tags = launchTagsOf(request, approver, settings.deploymentName);
  return {
    ClientToken: request.requestId,
    ImageId: imageId,
    InstanceType: resource.instanceType,
    MinCount: 1,
    MaxCount: 1,
    ...(subnetId && { SubnetId: subnetId }),
    ...(resource.privateIp && { PrivateIpAddress: resource.privateIp }),
    ...(settings.securityGroupIds.length > 0 && { SecurityGroupIds: settings.securityGroupIds }),
    BlockDeviceMappings: blockDeviceMappingsOf(resource.os, resource.volume),
    MetadataOptions: METADATA_OPTIONS,
    TagSpecifications: [
      { ResourceType: "instance", Tags: tags },
      { ResourceType: "volume", Tags: tags },
    ],
  };
};

/** An error EC2 answered with; `code` is absent when the call never got an answer (network, timeout). */
export interface Ec2Failure {
  code?: string;
  message: string;
}

/** Codes that say this request can never launch as asked: retrying would only fail the same way. */
const PERMANENT_ERROR_CODES = new Set([
  "IdempotentParameterMismatch",
  "InvalidParameter",
  "InvalidParameterValue",
  "InvalidParameterCombination",
  "InvalidParameterDependency",
  "MissingParameter",
  "Unsupported",
  "UnsupportedOperation",
  "InvalidInstanceType",
  "InvalidBlockDeviceMapping",
  "VPCIdNotSpecified",
  "VPCResourceNotSpecified",
]);

/** Families of "this id does not exist or is malformed" codes, e.g. `InvalidAMIID.NotFound`. */
const PERMANENT_ERROR_PREFIXES = [
  "InvalidAMIID.",
  "InvalidSubnetID.",
  "InvalidSubnet.",
  "InvalidGroup.",
  "InvalidGroupId.",
  "InvalidIPAddress.",
];

export type LaunchErrorKind = "permanent" | "retryable";

/**
 * Permanent errors fail the request at once. Everything else is retried: throttling, capacity and
 * quota errors, EC2's 5xx, network trouble, and codes not known here (credentials, permissions), which
 * an operator fixes and redrives from the dead-letter queue rather than failing the request for good.
 */
export const classifyLaunchError = ({ code }: Ec2Failure): LaunchErrorKind =>
  code !== undefined &&
  (PERMANENT_ERROR_CODES.has(code) || PERMANENT_ERROR_PREFIXES.some((prefix) => code.startsWith(prefix)))
    ? "permanent"
    : "retryable";

export const launchRefusalReason = ({ code, message }: Ec2Failure): string =>
  `EC2 refused to launch the instance (${code ?? "no error code"}): ${message}`;

type InstanceState = (typeof EC2_INSTANCE_STATES)[number];

/** The states that settle a launch; the subscription's pattern lets only these through. */
export const LAUNCH_SETTLING_STATES = [
  "running",
  "shutting-down",
  "terminated",
] as const satisfies InstanceState[];

export type LaunchOutcome = "provisioned" | "failed";

export const outcomeOfState = (state: InstanceState): LaunchOutcome | undefined => {
  if (state === "running") return "provisioned";
  if (state === "shutting-down" || state === "terminated") return "failed";
  return undefined;
};

export const endedBeforeRunningReason = (
  instanceId: string,
  state: InstanceState,
  stateReason?: string,
): string =>
  `Instance ${instanceId} ended (${state}) before it was ever running${stateReason ? `: ${stateReason}` : ""}`;
