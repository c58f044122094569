import { isIPv4 } from "node:net";
import { resolveImage } from "./images.ts";
import {
  Ec2Error,
  HTTP_ENDPOINT_STATES,
  HTTP_TOKENS,
  invalidValue,
  newId,
  type RunInstancesInput,
  type Tag,
  type Volume,
} from "./resources.ts";

/** What RunInstances refuses, and why, before anything exists: AWS's limits and error codes. */

const ROOT_VOLUME = { size: 8, volumeType: "gp3" } as const;
const DEFAULT_INSTANCE_TYPE = "m1.small";
/** This local EC2 launches one instance per request, as an account whose quota allows one more would. */
const MAX_INSTANCES_PER_LAUNCH = 1;
const MAX_TAGS_PER_RESOURCE = 50;
/**
 * The most EBS volumes any instance type takes: 128, the dedicated limit of the largest sizes
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/volume_limits.html). Locally no instance type has
 * its own limit, so only what no instance could ever attach is refused.
 */
const MAX_VOLUMES_PER_INSTANCE = 128;
const MAX_CLIENT_TOKEN_LENGTH = 64;

/**
 * The volume types that take provisioned IOPS: the range, the most per GiB of size, and whether a
 * volume of the type must state them (io1 and io2 have no default).
 */
const PROVISIONED_IOPS: Record<string, { min: number; max: number; perGiB: number; required: boolean }> = {
  io1: { min: 100, max: 64_000, perGiB: 50, required: true },
  io2: { min: 100, max: 256_000, perGiB: 1_000, required: true },
  gp3: { min: 3_000, max: 80_000, perGiB: 500, required: false },
};
/** Hard-disk types, which EC2 cannot boot from. */
const HDD_VOLUME_TYPES = new Set(["st1", "sc1"]);

// AWS's limits, written out here rather than taken from the catalog's table (events/request.ts): the
// emulator must refuse what AWS refuses even where the services' own rules are wrong.
const EBS_VOLUME_SIZE_GIB: Record<string, { min: number; max: number }> = {
  gp2: { min: 1, max: 16_384 },
  gp3: { min: 1, max: 16_384 },
  io1: { min: 4, max: 16_384 },
  io2: { min: 4, max: 65_536 },
  st1: { min: 125, max: 16_384 },
  sc1: { min: 125, max: 16_384 },
  standard: { min: 1, max: 1_024 },
};
const TAGGABLE_AT_LAUNCH = ["instance", "volume"] as const;

const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** Characters XML 1.0 can carry; tags are answered in XML, so anything else could never be read back. */
const XML_CHARACTERS = /^[\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;

const checkTags = (tags: { key?: string; value?: string }[]): Tag[] => {
  if (tags.length > MAX_TAGS_PER_RESOURCE) {
    throw new Ec2Error("TagLimitExceeded", `A resource can have at most ${MAX_TAGS_PER_RESOURCE} tags`);
  }
  const checked = tags.map(({ key, value = "" }) => {
    if (key === undefined || key.length === 0) throw invalidValue("Tag keys must not be empty");
    if (key.length > 128) throw invalidValue(`Tag key exceeds the maximum length of 128 characters: ${key}`);
    if (value.length > 256)
      throw invalidValue(`Tag value exceeds the maximum length of 256 characters: ${value}`);
    if (key.toLowerCase().startsWith("aws:"))
      throw invalidValue("Tag keys starting with 'aws:' are reserved");
    if (!XML_CHARACTERS.test(key) || !XML_CHARACTERS.test(value)) {
      throw invalidValue("Tag keys and values must not contain control characters");
    }
    return { key, value };
  });
  const keys = checked.map((tag) => tag.key);
  const duplicate = keys.find((key, index) => keys.indexOf(key) !== index);
  if (duplicate !== undefined) throw invalidValue(`Duplicate tag key '${duplicate}'`);
  return checked;
};

const checkCounts = (minCount: number, maxCount: number) => {
  for (const [name, count] of [
    ["MinCount", minCount],
    ["MaxCount", maxCount],
  ] as const) {
    if (!Number.isInteger(count) || count < 1) {
      throw invalidValue(`Invalid value '${count}' for ${name}. Must be greater than 0.`);
    }
  }
  if (minCount > maxCount) throw invalidValue("MinCount must be less than or equal to MaxCount");
  if (maxCount > MAX_INSTANCES_PER_LAUNCH) {
    throw new Ec2Error(
      "InstanceLimitExceeded",
      `You have requested more instances (${maxCount}) than your current instance limit of ${MAX_INSTANCES_PER_LAUNCH} allows for the specified instance type.`,
    );
  }
};

const checkIops = (volumeType: string, size: number, iops: number | undefined): number | undefined => {
  const rule = PROVISIONED_IOPS[volumeType];
  if (!rule) {
    if (iops === undefined) return undefined;
    throw new Ec2Error(
      "InvalidParameterCombination",
      `The parameter iops is not supported for ${volumeType} volumes.`,
    );
  }
  if (iops === undefined) {
    if (!rule.required) return undefined;
    throw new Ec2Error(
      "InvalidParameterCombination",
      `The parameter iops must be specified for ${volumeType} volumes.`,
    );
  }
  if (!Number.isInteger(iops) || iops < rule.min || iops > rule.max) {
    throw invalidValue(`Iops must be between ${rule.min} and ${rule.max} for ${volumeType} volumes`);
  }
  if (iops / size > rule.perGiB) {
    throw invalidValue(
      `Iops to volume size ratio of ${(iops / size).toFixed(6)} is too high; maximum is ${rule.perGiB.toFixed(6)}`,
    );
  }
  return iops;
};

const volumesFor = (
  rootDeviceName: string,
  mappings: RunInstancesInput["blockDeviceMappings"] = [],
  now: string,
  tags: Tag[],
) => {
  const mapsRootDevice = mappings.some(({ deviceName }) => deviceName === rootDeviceName);
  if (mappings.length + (mapsRootDevice ? 0 : 1) > MAX_VOLUMES_PER_INSTANCE) {
    throw new Ec2Error(
      "AttachmentLimitExceeded",
      `An instance can have at most ${MAX_VOLUMES_PER_INSTANCE} EBS volumes, its root volume included`,
    );
  }
  const volumes = mappings.map(({ deviceName, ebs }, index): Volume => {
    if (!deviceName) {
      throw new Ec2Error(
        "MissingParameter",
        `The request must contain the parameter BlockDeviceMapping.${index + 1}.DeviceName`,
      );
    }
    if (!ebs) throw invalidValue(`Only EBS block device mappings are supported locally (${deviceName})`);
    const volumeType = ebs.volumeType ?? ROOT_VOLUME.volumeType;
    const sizeRange = EBS_VOLUME_SIZE_GIB[volumeType];
    if (!sizeRange) throw invalidValue(`Invalid value '${volumeType}' for volumeType`);
    const size = ebs.volumeSize ?? ROOT_VOLUME.size;
    if (!Number.isInteger(size) || size < sizeRange.min || size > sizeRange.max) {
      throw invalidValue(
        `Volume size ${size} GiB is invalid for ${volumeType} volumes: it must be between ${sizeRange.min} and ${sizeRange.max} GiB`,
      );
    }
    if (deviceName === rootDeviceName && HDD_VOLUME_TYPES.has(volumeType)) {
      throw new Ec2Error(
        "InvalidBlockDeviceMapping",
        `${volumeType} volumes cannot be root volumes: ${deviceName} is the image's root device`,
      );
    }
    const iops = checkIops(volumeType, size, ebs.iops);
    const encrypted = ebs.encrypted ?? false;
    return { volumeId: newId("vol"), deviceName, size, volumeType, iops, encrypted, createTime: now, tags };
  });
  const devices = volumes.map((volume) => volume.deviceName);
  const duplicate = devices.find((device, index) => devices.indexOf(device) !== index);
  if (duplicate !== undefined) throw invalidValue(`The device '${duplicate}' is mapped more than once`);
  // As on AWS, the image's root volume exists whether or not the request maps the root device.
  if (!devices.includes(rootDeviceName)) {
    volumes.unshift({
      volumeId: newId("vol"),
      deviceName: rootDeviceName,
      ...ROOT_VOLUME,
      // Locally no image's snapshot is encrypted, nor is encryption by default on.
      encrypted: false,
      createTime: now,
      tags,
    });
  }
  return volumes;
};

const checkTagSpecifications = (specifications: RunInstancesInput["tagSpecifications"] = []) => {
  const tagsByResource = new Map<(typeof TAGGABLE_AT_LAUNCH)[number], Tag[]>();
  for (const { resourceType, tags } of specifications) {
    const taggable = TAGGABLE_AT_LAUNCH.find((candidate) => candidate === resourceType);
    if (!taggable)
      throw invalidValue(`'${resourceType}' is not a valid taggable resource type for this operation.`);
    if (tagsByResource.has(taggable)) {
      throw invalidValue(`The tag specification for '${taggable}' is given more than once`);
    }
    tagsByResource.set(taggable, checkTags(tags));
  }
  return { instance: tagsByResource.get("instance") ?? [], volume: tagsByResource.get("volume") ?? [] };
};

const oneOf = <Value extends string>(name: string, allowed: readonly Value[], value: string): Value => {
  const known = allowed.find((candidate) => candidate === value);
  if (known === undefined)
    throw invalidValue(`Invalid value '${value}' for ${name}. Valid values: ${allowed.join(", ")}`);
  return known;
};

/** The instance metadata options, with EC2's defaults for what the request leaves out. */
const checkMetadataOptions = ({ httpTokens = "optional", httpEndpoint = "enabled" } = {}) => ({
  httpTokens: oneOf("HttpTokens", HTTP_TOKENS, httpTokens),
  httpEndpoint: oneOf("HttpEndpoint", HTTP_ENDPOINT_STATES, httpEndpoint),
});

/** Refuses a launch request as AWS would, before anything exists; else gives its volumes and the defaults it leaves implicit. */
export const prepareLaunch = (input: RunInstancesInput, region: string) => {
  const { imageId, rootDeviceName } = resolveImage(input.imageId, region);
  const instanceType = input.instanceType ?? DEFAULT_INSTANCE_TYPE;
  if (!INSTANCE_TYPE.test(instanceType))
    throw invalidValue(`Invalid value '${instanceType}' for InstanceType.`);
  checkCounts(input.minCount, input.maxCount);
  if (input.subnetId !== undefined && !SUBNET_ID.test(input.subnetId)) {
    throw new Ec2Error("InvalidSubnetID.Malformed", `Invalid id: "${input.subnetId}"`);
  }
  if (input.privateIpAddress !== undefined && !isIPv4(input.privateIpAddress)) {
    throw invalidValue(`Invalid value '${input.privateIpAddress}' for PrivateIpAddress.`);
  }
  const { clientToken } = input;
  if (
    clientToken !== undefined &&
    (clientToken.length > MAX_CLIENT_TOKEN_LENGTH || !PRINTABLE_ASCII.test(clientToken))
  ) {
    throw invalidValue(`ClientToken must be at most ${MAX_CLIENT_TOKEN_LENGTH} printable ASCII characters`);
  }
  const metadataOptions = checkMetadataOptions(input.metadataOptions);
  const tags = checkTagSpecifications(input.tagSpecifications);
  const now = new Date().toISOString();
  const volumes = volumesFor(rootDeviceName, input.blockDeviceMappings, now, tags.volume);
  return { imageId, rootDeviceName, instanceType, metadataOptions, tags, volumes, now };
};
