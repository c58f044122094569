import type { RunInstancesCommandInput, Tag } from "@aws-sdk/client-ec2";
import type { EC2_INSTANCE_STATES } from "../../events/ec2-state-change.ts";
import type { AcceptedRequest } from "../../events/request.ts";

export interface LaunchSettings {
  /** An `ami-...` id, or on AWS a `resolve:ssm:` parameter reference, which RunInstances resolves itself. */
  imageId: string;
  securityGroupIds: string[];
  /** Where instances go when the request names no subnet; absent means the default VPC's choice. */
  defaultSubnetId?: string;
}

/** The root device of the Amazon Linux images the launcher uses: the requested volume replaces its default. */
export const ROOT_DEVICE_NAME = "/dev/xvda";

/** Tag keys put on every instance and volume launched for a request. */
export const LAUNCH_TAG_KEYS = {
  requestId: "RequestId",
  requester: "Requester",
  approver: "Approver",
  name: "Name",
} as const;

export const launchTagsOf = (request: AcceptedRequest, approver: string): Tag[] => [
  { Key: LAUNCH_TAG_KEYS.requestId, Value: request.requestId },
  { Key: LAUNCH_TAG_KEYS.requester, Value: request.requester.email },
  { Key: LAUNCH_TAG_KEYS.approver, Value: approver },
  { Key: LAUNCH_TAG_KEYS.name, Value: request.resource.name ?? request.requestId },
];

/**
 * The one RunInstances call for an approved request. `ClientToken = requestId` makes every redelivery
 * land on the same instance instead of launching another.
 */
export const buildRunInstancesInput = (
  request: AcceptedRequest,
  approver: string,
  settings: LaunchSettings,
): RunInstancesCommandInput => {
  const { resource } = request;
  const subnetId = resource.subnetId ?? settings.defaultSubnetId;
  const tags = launchTagsOf(request, approver);
  return {
    ClientToken: request.requestId,
    ImageId: settings.imageId,
    InstanceType: resource.instanceType,
    MinCount: 1,
    MaxCount: 1,
    ...(subnetId && { SubnetId: subnetId }),
    ...(resource.privateIp && { PrivateIpAddress: resource.privateIp }),
    ...(settings.securityGroupIds.length > 0 && { SecurityGroupIds: settings.securityGroupIds }),
    ...(resource.volume && {
      BlockDeviceMappings: [
        {
          DeviceName: ROOT_DEVICE_NAME,
          Ebs: {
            VolumeSize: resource.volume.sizeGiB,
            VolumeType: resource.volume.type,
            DeleteOnTermination: true,
          },
        },
      ],
    }),
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
