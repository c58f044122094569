import { createHash, randomBytes, randomInt } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { isIPv4 } from "node:net";
import { dirname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { EC2_INSTANCE_STATES } from "../../../events/ec2-state-change.ts";
import { replaceFileDurably } from "../durable-file.ts";
import { LOCAL_ACCOUNT_ID } from "../eventbridge/types.ts";

export type InstanceStateName = (typeof EC2_INSTANCE_STATES)[number];

/** The numeric codes AWS reports next to each state name (the high byte is internal and always 0 here). */
export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/**
 * Local-only test hook: an instance launched from this image dies before it runs (pending -> terminated),
 * the way a launch fails on AWS for lack of capacity or a broken volume, so launch failure paths can be
 * exercised end to end (point an `IMAGE_IDS` entry at it). No real AMI has this id.
 */
export const FAILING_IMAGE_ID = "ami-00000000000000bad";

/** Where Amazon Linux images, and locally any image given by id, keep their root volume. */
const DEFAULT_ROOT_DEVICE_NAME = "/dev/xvda";
/**
 * Public image parameters whose images boot from /dev/sda1 (Canonical's Ubuntu, Amazon's Windows).
 * Locally no AMI can be asked where its root volume is, so the publishers' convention stands in.
 */
const SDA1_IMAGE_PARAMETERS = /^\/aws\/service\/(?:canonical|ami-windows-latest)\//;
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
const REPORT_RETRY_MS = 1_000;

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

const IMAGE_ID = /^ami-[0-9a-f]{8}([0-9a-f]{9})?$/;
const SSM_IMAGE_PREFIX = "resolve:ssm:";
/** A Parameter Store name (one word, or a path rooted at `/`), optionally followed by `:version` or `:label`. */
const SSM_IMAGE_REFERENCE = /^resolve:ssm:(?<parameter>[\w.-]+|(?:\/[\w.-]+)+)(?::[\w.-]+)?$/;
const INSTANCE_ID = /^i-[0-9a-f]{8}([0-9a-f]{9})?$/;
const VOLUME_ID = /^vol-[0-9a-f]{8}([0-9a-f]{9})?$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** Characters XML 1.0 can carry; tags are answered in XML, so anything else could never be read back. */
const XML_CHARACTERS = /^[\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;

/** An error EC2 answers with: `code` is AWS's error code, which SDKs raise as the exception name. */
export class Ec2Error extends Error {
  override readonly name = "Ec2Error";
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class Ec2StateFileError extends Error {
  override readonly name = "Ec2StateFileError";
}

const tagSchema = z.object({ key: z.string(), value: z.string() });
export type Tag = z.infer<typeof tagSchema>;

const volumeSchema = z.object({
  volumeId: z.string(),
  deviceName: z.string(),
  size: z.number().int(),
  volumeType: z.string(),
  iops: z.number().int().optional(),
  createTime: z.iso.datetime(),
  tags: z.array(tagSchema),
});
export type Volume = z.infer<typeof volumeSchema>;

const instanceSchema = z.object({
  instanceId: z.string(),
  reservationId: z.string(),
  imageId: z.string(),
  instanceType: z.string(),
  subnetId: z.string().optional(),
  privateIpAddress: z.string(),
  launchTime: z.iso.datetime(),
  state: z.enum(EC2_INSTANCE_STATES),
  stateChangedAt: z.iso.datetime(),
  stateTransitionReason: z.string(),
  stateReason: z.object({ code: z.string(), message: z.string() }).optional(),
  clientToken: z.string().optional(),
  /** The launch request as given (without its token), to tell a retry from a reuse of the token. */
  launchParameters: z.unknown(),
  tags: z.array(tagSchema),
  // State files from before images had their own root device held only /dev/xvda images.
  rootDeviceName: z.string().default(DEFAULT_ROOT_DEVICE_NAME),
  volumes: z.array(volumeSchema),
});
export type Instance = z.infer<typeof instanceSchema>;

const stateChangeSchema = z.object({ instanceId: z.string(), state: z.enum(EC2_INSTANCE_STATES) });
type StateChange = z.infer<typeof stateChangeSchema>;

const stateFileSchema = z.object({
  instances: z.array(instanceSchema),
  /** State changes not yet reported: kept with the state so that a restart reports them instead of losing them. */
  unreportedStateChanges: z.array(stateChangeSchema),
});
type StateFile = z.infer<typeof stateFileSchema>;

export interface Reservation {
  reservationId: string;
  ownerId: string;
  instances: Instance[];
}

export interface InstanceStateChange {
  instanceId: string;
  previousState: InstanceStateName;
  currentState: InstanceStateName;
}

export interface Filter {
  name: string;
  values: string[];
}

export interface RunInstancesInput {
  imageId: string;
  instanceType?: string;
  minCount: number;
  maxCount: number;
  subnetId?: string;
  privateIpAddress?: string;
  blockDeviceMappings?: {
    deviceName?: string;
    ebs?: { volumeSize?: number; volumeType?: string; iops?: number };
  }[];
  tagSpecifications?: { resourceType?: string; tags: { key?: string; value?: string }[] }[];
  clientToken?: string;
}

/** Reports a state change; a rejection is logged and the same change reported again later. */
export type StateChangeListener = (instanceId: string, state: InstanceStateName) => void | Promise<void>;

export interface LocalEc2Options {
  /** State lives in `<dataDir>/ec2/state.json`. */
  dataDir: string;
  onStateChange: StateChangeListener;
  /** How long an instance stays `pending` before it is `running`. */
  bootDelayMs?: number;
  /** How long an instance stays `shutting-down` before it is `terminated`. */
  shutdownDelayMs?: number;
}

const randomHex = (digits: number) =>
  randomBytes(Math.ceil(digits / 2))
    .toString("hex")
    .slice(0, digits);
/** AWS's long resource ids: a prefix and 17 hex digits. */
const newId = (prefix: "i" | "r" | "vol") => `${prefix}-${randomHex(17)}`;

const invalidValue = (message: string) => new Ec2Error("InvalidParameterValue", message);

const notFound = (code: string, kind: string, ids: string[]) =>
  new Ec2Error(
    code,
    ids.length === 1
      ? `The ${kind} ID '${ids[0]}' does not exist`
      : `The ${kind} IDs '${ids.join(", ")}' do not exist`,
  );

const checkIds = (ids: string[], pattern: RegExp, malformedCode: string) => {
  const malformed = ids.find((id) => !pattern.test(id));
  if (malformed !== undefined) throw new Ec2Error(malformedCode, `Invalid id: "${malformed}"`);
};

const ANY_RUN = Symbol("any run of characters");
const ANY_CHARACTER = Symbol("any one character");
type FilterToken = string | typeof ANY_RUN | typeof ANY_CHARACTER;

/**
 * An EC2 filter value: `*` matches any run of characters, `?` one character, and a backslash makes the
 * `*`, `?` or backslash after it literal; every other character, a lone backslash included, is literal.
 */
const filterTokens = (value: string): FilterToken[] => {
  const tokens: FilterToken[] = [];
  for (let index = 0; index < value.length; index += 1) {
    const character = value[index] as string;
    const next = value[index + 1];
    if (character === "\\" && (next === "*" || next === "?" || next === "\\")) {
      tokens.push(next);
      index += 1;
    } else if (character === "*") tokens.push(ANY_RUN);
    else if (character === "?") tokens.push(ANY_CHARACTER);
    else tokens.push(character);
  }
  return tokens;
};

/**
 * Matches greedily and, on a mismatch, only retries from the latest `*`: an earlier star never needs
 * to take more, since the latest one can absorb it. That bounds the work to O(value × pattern), where a
 * backtracking RegExp takes exponential time on values like `*a*a*a*a*b`.
 */
const matchesFilterTokens = (tokens: FilterToken[], candidate: string): boolean => {
  let token = 0;
  let position = 0;
  let lastRun = -1;
  let resumeAt = 0;
  while (position < candidate.length) {
    const current = tokens[token];
    if (current === ANY_RUN) {
      lastRun = token;
      resumeAt = position;
      token += 1;
    } else if (current === ANY_CHARACTER || current === candidate[position]) {
      token += 1;
      position += 1;
    } else if (lastRun >= 0) {
      token = lastRun + 1;
      resumeAt += 1;
      position = resumeAt;
    } else {
      return false;
    }
  }
  while (tokens[token] === ANY_RUN) token += 1;
  return token === tokens.length;
};

/** The filterable attributes of one resource type, each giving the values a filter value is matched against. */
type FilterFields<Resource> = Record<string, (resource: Resource) => (string | number | undefined)[]>;

/**
 * EC2's filter semantics: every filter must match (AND), any one of a filter's values may match (OR),
 * values may use `*` and `?` wildcards, and `tag:<Key>` / `tag-key` look at the resource's tags.
 */
const matchesFilters = <Resource extends { tags: Tag[] }>(
  resource: Resource,
  filters: Filter[],
  fields: FilterFields<Resource>,
): boolean =>
  filters.every(({ name, values }) => {
    const field = fields[name];
    const candidates = name.startsWith("tag:")
      ? resource.tags.filter((tag) => tag.key === name.slice(4)).map((tag) => tag.value)
      : name === "tag-key"
        ? resource.tags.map((tag) => tag.key)
        : (field?.(resource) ?? []);
    return values.some((value) => {
      const tokens = filterTokens(value);
      return candidates.some(
        (candidate) => candidate !== undefined && matchesFilterTokens(tokens, String(candidate)),
      );
    });
  });

const checkFilters = (filters: Filter[], fields: FilterFields<never>) => {
  for (const { name, values } of filters) {
    if (!name.startsWith("tag:") && name !== "tag-key" && !Object.hasOwn(fields, name)) {
      throw invalidValue(`The filter '${name}' is invalid`);
    }
    if (values.length === 0) throw invalidValue(`The filter '${name}' must have at least one value`);
  }
};

const INSTANCE_FILTERS: FilterFields<Instance> = {
  "instance-id": (instance) => [instance.instanceId],
  "instance-state-name": (instance) => [instance.state],
  "instance-state-code": (instance) => [INSTANCE_STATE_CODES[instance.state]],
  "instance-type": (instance) => [instance.instanceType],
  "image-id": (instance) => [instance.imageId],
  "reservation-id": (instance) => [instance.reservationId],
  "subnet-id": (instance) => [instance.subnetId],
  "private-ip-address": (instance) => [instance.privateIpAddress],
  "client-token": (instance) => [instance.clientToken],
};

interface AttachedVolume extends Volume {
  instanceId: string;
}

const VOLUME_FILTERS: FilterFields<AttachedVolume> = {
  "volume-id": (volume) => [volume.volumeId],
  "volume-type": (volume) => [volume.volumeType],
  size: (volume) => [volume.size],
  status: () => ["in-use"],
  "attachment.instance-id": (volume) => [volume.instanceId],
  "attachment.device": (volume) => [volume.deviceName],
};

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
    return { volumeId: newId("vol"), deviceName, size, volumeType, iops, createTime: now, tags };
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

/**
 * The image an SSM parameter names locally, where no parameter store holds real ones: made up from the
 * parameter's name, so every launch through the same parameter gets the same image (as on AWS until a
 * new image is published) and the services can use the very parameters they use on AWS.
 */
export const localImageIdOf = (parameter: string): string =>
  `ami-${createHash("sha256").update(parameter).digest("hex").slice(0, 17)}`;

/**
 * The AMI a launch names (as given, or resolved from a `resolve:ssm:` reference as RunInstances does)
 * and the device its root volume is attached as.
 */
const resolveImage = (imageId: string): { imageId: string; rootDeviceName: string } => {
  if (imageId.startsWith(SSM_IMAGE_PREFIX)) {
    const parameter = SSM_IMAGE_REFERENCE.exec(imageId)?.groups?.parameter;
    if (parameter === undefined) {
      throw invalidValue(
        `Invalid value '${imageId}' for ImageId. Expected ${SSM_IMAGE_PREFIX}<parameter name>[:<version or label>]`,
      );
    }
    return {
      imageId: localImageIdOf(parameter),
      rootDeviceName: SDA1_IMAGE_PARAMETERS.test(parameter) ? "/dev/sda1" : DEFAULT_ROOT_DEVICE_NAME,
    };
  }
  if (!IMAGE_ID.test(imageId)) {
    throw new Ec2Error("InvalidAMIID.Malformed", `Invalid id: "${imageId}" (expecting "ami-...")`);
  }
  return { imageId, rootDeviceName: DEFAULT_ROOT_DEVICE_NAME };
};

/** Refuses a launch request as AWS would, before anything exists; else gives its volumes and the defaults it leaves implicit. */
const prepareLaunch = (input: RunInstancesInput) => {
  const { imageId, rootDeviceName } = resolveImage(input.imageId);
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
  const tags = checkTagSpecifications(input.tagSpecifications);
  const now = new Date().toISOString();
  const volumes = volumesFor(rootDeviceName, input.blockDeviceMappings, now, tags.volume);
  return { imageId, rootDeviceName, instanceType, tags, volumes, now };
};

const loadState = (path: string): StateFile => {
  if (!existsSync(path)) return { instances: [], unreportedStateChanges: [] };
  try {
    return stateFileSchema.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch (error) {
    throw new Ec2StateFileError(`The local EC2 state in ${path} is unreadable`, { cause: error });
  }
};

/**
 * The local stand-in for EC2: launches, describes and terminates instances the way AWS answers, moves
 * them through pending -> running and shutting-down -> terminated after short delays, and reports every
 * state change. State is on disk before a call returns; after a restart, interrupted transitions resume
 * and changes not yet reported are reported.
 */
export class LocalEc2 {
  private readonly statePath: string;
  private readonly instances = new Map<string, Instance>();
  private readonly unreportedStateChanges: StateChange[];
  private readonly transitionTimers = new Map<string, NodeJS.Timeout>();
  private readonly onStateChange: StateChangeListener;
  private readonly bootDelayMs: number;
  private readonly shutdownDelayMs: number;
  private reportRetryTimer: NodeJS.Timeout | undefined;
  private reporting = false;
  private closed = false;
  private lastWrite: Promise<void> = Promise.resolve();

  constructor({ dataDir, onStateChange, bootDelayMs = 2_000, shutdownDelayMs = 1_000 }: LocalEc2Options) {
    this.statePath = join(dataDir, "ec2", "state.json");
    this.onStateChange = onStateChange;
    this.bootDelayMs = bootDelayMs;
    this.shutdownDelayMs = shutdownDelayMs;
    mkdirSync(dirname(this.statePath), { recursive: true });
    const state = loadState(this.statePath);
    for (const instance of state.instances) this.instances.set(instance.instanceId, instance);
    this.unreportedStateChanges = state.unreportedStateChanges;
    for (const instance of this.instances.values()) this.scheduleTransition(instance);
    void this.reportStateChanges();
  }

  async runInstances(input: RunInstancesInput): Promise<Reservation> {
    const { imageId, rootDeviceName, instanceType, tags, volumes, now } = prepareLaunch(input);
    const { clientToken } = input;

    const { clientToken: _, ...launchParameters } = input;
    const canonicalParameters: unknown = JSON.parse(JSON.stringify(launchParameters));
    if (clientToken !== undefined) {
      const earlier = [...this.instances.values()].find((instance) => instance.clientToken === clientToken);
      if (earlier) {
        if (!isDeepStrictEqual(earlier.launchParameters, canonicalParameters)) {
          throw new Ec2Error(
            "IdempotentParameterMismatch",
            "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).",
          );
        }
        return this.reservationOf(earlier);
      }
    }

    const instance: Instance = {
      instanceId: newId("i"),
      reservationId: newId("r"),
      imageId,
      instanceType,
      subnetId: input.subnetId,
      privateIpAddress: this.privateIpFor(input.subnetId, input.privateIpAddress),
      launchTime: now,
      state: "pending",
      stateChangedAt: now,
      stateTransitionReason: "",
      clientToken,
      launchParameters: canonicalParameters,
      tags: tags.instance,
      rootDeviceName,
      volumes,
    };
    this.instances.set(instance.instanceId, instance);
    this.unreportedStateChanges.push({ instanceId: instance.instanceId, state: "pending" });
    await this.persist();
    this.scheduleTransition(instance);
    void this.reportStateChanges();
    return this.reservationOf(instance);
  }

  describeInstances({ instanceIds = [], filters = [] }: { instanceIds?: string[]; filters?: Filter[] } = {}) {
    checkIds(instanceIds, INSTANCE_ID, "InvalidInstanceID.Malformed");
    checkFilters(filters, INSTANCE_FILTERS);
    const candidates =
      instanceIds.length > 0 ? this.existingInstances(instanceIds) : [...this.instances.values()];
    return candidates
      .filter((instance) => matchesFilters(instance, filters, INSTANCE_FILTERS))
      .map((instance) => this.reservationOf(instance));
  }

  /** Volumes of instances not yet terminated: like AWS's launch volumes, they are deleted on termination. */
  describeVolumes({
    volumeIds = [],
    filters = [],
  }: {
    volumeIds?: string[];
    filters?: Filter[];
  } = {}): AttachedVolume[] {
    checkIds(volumeIds, VOLUME_ID, "InvalidVolumeID.Malformed");
    checkFilters(filters, VOLUME_FILTERS);
    const volumes = [...this.instances.values()]
      .filter((instance) => instance.state !== "terminated")
      .flatMap((instance) =>
        instance.volumes.map((volume) => ({ ...structuredClone(volume), instanceId: instance.instanceId })),
      );
    const missing = volumeIds.filter((id) => !volumes.some((volume) => volume.volumeId === id));
    if (missing.length > 0) throw notFound("InvalidVolume.NotFound", "volume", missing);
    return volumes
      .filter((volume) => volumeIds.length === 0 || volumeIds.includes(volume.volumeId))
      .filter((volume) => matchesFilters(volume, filters, VOLUME_FILTERS));
  }

  /** Idempotent as on AWS: terminating an instance that is already on its way out changes nothing. */
  async terminateInstances(instanceIds: string[]): Promise<InstanceStateChange[]> {
    checkIds(instanceIds, INSTANCE_ID, "InvalidInstanceID.Malformed");
    const instances = this.existingInstances(instanceIds);
    const changes = instances.map((instance): InstanceStateChange => {
      const previousState = instance.state;
      if (previousState === "pending" || previousState === "running") {
        this.changeState(instance, "shutting-down", {
          reason: `User initiated (${new Date().toISOString().slice(0, 19).replace("T", " ")} GMT)`,
          stateReason: {
            code: "Client.UserInitiatedShutdown",
            message: "Client.UserInitiatedShutdown: User initiated shutdown",
          },
        });
      }
      return { instanceId: instance.instanceId, previousState, currentState: instance.state };
    });
    await this.persist();
    for (const instance of instances) this.scheduleTransition(instance);
    void this.reportStateChanges();
    return changes;
  }

  /** Stops the lifecycle timers and waits for the state on disk to be complete. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.transitionTimers.values()) clearTimeout(timer);
    this.transitionTimers.clear();
    clearTimeout(this.reportRetryTimer);
    await this.lastWrite;
  }

  private existingInstances(instanceIds: string[]): Instance[] {
    const missing = instanceIds.filter((id) => !this.instances.has(id));
    if (missing.length > 0) throw notFound("InvalidInstanceID.NotFound", "instance", missing);
    return [...new Set(instanceIds)].map((id) => this.instances.get(id) as Instance);
  }

  private reservationOf(instance: Instance): Reservation {
    return {
      reservationId: instance.reservationId,
      ownerId: LOCAL_ACCOUNT_ID,
      instances: [structuredClone(instance)],
    };
  }

  private privateIpFor(subnetId: string | undefined, requested: string | undefined): string {
    const inUse = new Set(
      [...this.instances.values()]
        .filter((instance) => instance.state !== "terminated" && instance.subnetId === subnetId)
        .map((instance) => instance.privateIpAddress),
    );
    if (requested !== undefined) {
      if (inUse.has(requested))
        throw new Ec2Error("InvalidIPAddress.InUse", `Address ${requested} is in use.`);
      return requested;
    }
    for (;;) {
      // AWS reserves the first four addresses and the last one of every subnet.
      const address = `10.0.${randomInt(0, 256)}.${randomInt(4, 255)}`;
      if (!inUse.has(address)) return address;
    }
  }

  private changeState(
    instance: Instance,
    state: InstanceStateName,
    why: { reason: string; stateReason?: Instance["stateReason"] },
  ) {
    instance.state = state;
    instance.stateChangedAt = new Date().toISOString();
    instance.stateTransitionReason = why.reason;
    instance.stateReason = why.stateReason;
    this.unreportedStateChanges.push({ instanceId: instance.instanceId, state });
  }

  /** Arms the timer of the instance's next automatic state change, counted from when it entered its state. */
  private scheduleTransition(instance: Instance) {
    clearTimeout(this.transitionTimers.get(instance.instanceId));
    this.transitionTimers.delete(instance.instanceId);
    if (this.closed) return;
    const delay =
      instance.state === "pending"
        ? this.bootDelayMs
        : instance.state === "shutting-down"
          ? this.shutdownDelayMs
          : undefined;
    if (delay === undefined) return;
    const remaining = Math.max(0, Date.parse(instance.stateChangedAt) + delay - Date.now());
    const timer = setTimeout(() => {
      this.transitionTimers.delete(instance.instanceId);
      this.completeTransition(instance).catch((error: unknown) =>
        console.error(`[local-ec2] state change of ${instance.instanceId} failed`, error),
      );
    }, remaining);
    this.transitionTimers.set(instance.instanceId, timer);
  }

  private async completeTransition(instance: Instance) {
    if (instance.state === "pending" && instance.imageId === FAILING_IMAGE_ID) {
      this.changeState(instance, "terminated", {
        reason: "Server.InternalError",
        stateReason: {
          code: "Server.InternalError",
          message: "Server.InternalError: Internal error on launch",
        },
      });
    } else if (instance.state === "pending") {
      this.changeState(instance, "running", { reason: "" });
    } else if (instance.state === "shutting-down") {
      this.changeState(instance, "terminated", {
        reason: instance.stateTransitionReason,
        stateReason: instance.stateReason,
      });
    } else {
      return;
    }
    await this.persist();
    this.scheduleTransition(instance);
    await this.reportStateChanges();
  }

  /**
   * Reports the recorded state changes one at a time, in order, forgetting each only once it was reported;
   * a failure is retried later rather than skipped, so no consumer misses a change.
   */
  private async reportStateChanges() {
    if (this.reporting) return;
    this.reporting = true;
    try {
      for (
        let next = this.unreportedStateChanges[0];
        next && !this.closed;
        next = this.unreportedStateChanges[0]
      ) {
        await this.onStateChange(next.instanceId, next.state);
        this.unreportedStateChanges.shift();
        await this.persist();
      }
    } catch (error) {
      console.error("[local-ec2] reporting a state change failed; retrying", error);
      clearTimeout(this.reportRetryTimer);
      if (!this.closed)
        this.reportRetryTimer = setTimeout(() => void this.reportStateChanges(), REPORT_RETRY_MS);
    } finally {
      this.reporting = false;
    }
  }

  /** Writes are queued so that each one lands whole and in order, the last one holding the latest state. */
  private persist(): Promise<void> {
    const state: StateFile = {
      instances: [...this.instances.values()],
      unreportedStateChanges: this.unreportedStateChanges,
    };
    const content = JSON.stringify(state, null, 2);
    const write = this.lastWrite.then(() => replaceFileDurably(this.statePath, content));
    this.lastWrite = write.catch(() => undefined);
    return write;
  }
}
