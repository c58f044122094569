import { randomBytes } from "node:crypto";
import { z } from "zod";
import { EC2_INSTANCE_STATES } from "../../../events/ec2-state-change.ts";

/** The local EC2's resources as it answers them and keeps them on disk, and the errors it answers with. */

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

/** Where Amazon Linux images, and locally any image given by id, keep their root volume. */
export const DEFAULT_ROOT_DEVICE_NAME = "/dev/xvda";

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

/** Whether the instance metadata service takes IMDSv1's plain GETs (`optional`) or only IMDSv2's tokens. */
export const HTTP_TOKENS = ["optional", "required"] as const;
export const HTTP_ENDPOINT_STATES = ["enabled", "disabled"] as const;

const tagSchema = z.object({ key: z.string(), value: z.string() });
export type Tag = z.infer<typeof tagSchema>;

const volumeSchema = z.object({
  volumeId: z.string(),
  deviceName: z.string(),
  size: z.number().int(),
  volumeType: z.string(),
  iops: z.number().int().optional(),
  // State files from before volumes said so held only unencrypted volumes.
  encrypted: z.boolean().default(false),
  createTime: z.iso.datetime(),
  tags: z.array(tagSchema),
});
export type Volume = z.infer<typeof volumeSchema>;

export const instanceSchema = z.object({
  instanceId: z.string(),
  /** The region of the credential scope it was launched with: EC2 answers about it in that region only. */
  region: z.string(),
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
  // State files from before instances kept them were launched with EC2's defaults.
  metadataOptions: z
    .object({ httpTokens: z.enum(HTTP_TOKENS), httpEndpoint: z.enum(HTTP_ENDPOINT_STATES) })
    .default({ httpTokens: "optional", httpEndpoint: "enabled" }),
});
export type Instance = z.infer<typeof instanceSchema>;

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
    ebs?: { volumeSize?: number; volumeType?: string; iops?: number; encrypted?: boolean };
  }[];
  metadataOptions?: { httpTokens?: string; httpEndpoint?: string };
  tagSpecifications?: { resourceType?: string; tags: { key?: string; value?: string }[] }[];
  clientToken?: string;
}

const randomHex = (digits: number) =>
  randomBytes(Math.ceil(digits / 2))
    .toString("hex")
    .slice(0, digits);
/** AWS's long resource ids: a prefix and 17 hex digits. */
export const newId = (prefix: "i" | "r" | "vol") => `${prefix}-${randomHex(17)}`;

export const invalidValue = (message: string) => new Ec2Error("InvalidParameterValue", message);
