import { z } from "zod";
import { costEstimateSchema, estimatedMonthlyCostSchema } from "./cost-estimate.ts";
import {
  FREE_TEXT,
  FREE_TEXT_RULE,
  mustBe,
  NO_CONTROL_CHARACTERS,
  NO_LINE_BREAKS,
  nameSchema,
  oneOf,
} from "./fields.ts";
import { requestedLeaseSchema } from "./lease-duration.ts";
import { rdsResourceSchema } from "./rds-resource.ts";
import { regionSchema } from "./region.ts";
import { s3ResourceSchema } from "./s3-resource.ts";

/** Building blocks shared by the events that carry a request. */

export const requestIdSchema = z
  .string(mustBe("a string"))
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 characters of letters, digits, '-' or '_'");

export const emailSchema = z
  .email(mustBe("a valid email address"))
  .max(254, "must be at most 254 characters")
  .regex(NO_LINE_BREAKS, "must not contain line breaks");

/** OpenID Connect's bound on a subject identifier (Core 1.0, section 2). */
const SUBJECT_MAX_LENGTH = 255;

/**
 * The identity provider's id of a user (its `sub`), compared exactly as the provider gives it: never
 * trimmed or folded, since two spellings of it are two users.
 */
const subjectSchema = z
  .string(mustBe("a string"))
  .min(1, "must not be empty")
  .max(SUBJECT_MAX_LENGTH, `must be at most ${SUBJECT_MAX_LENGTH} characters`)
  .regex(NO_CONTROL_CHARACTERS, "must not contain control characters, line breaks or tabs");

export const requesterSchema = z.strictObject(
  {
    email: emailSchema,
    name: nameSchema(100).optional(),
    /**
     * Who the requester is to the identity provider, when they signed in to ask (intake sets it from
     * the access token). Self-approval is judged by it as well as by the email; a publisher outside
     * the portal may leave it out.
     */
    subject: subjectSchema.optional(),
  },
  mustBe("an object with an email"),
);

export const INSTANCE_TYPES = [
  "t3.nano",
  "t3.micro",
  "t3.small",
  "t3.medium",
  "t3.large",
  "t4g.nano",
  "t4g.micro",
  "t4g.small",
  "t4g.medium",
  "t4g.large",
  "m7i.large",
  "m7g.large",
  "c7i.large",
  "c7g.large",
  "r7i.large",
] as const;

export const OPERATING_SYSTEMS = [
  "amazon-linux-2023",
  "ubuntu-24.04",
  "ubuntu-22.04",
  "windows-server-2022",
] as const;

export type InstanceType = (typeof INSTANCE_TYPES)[number];
export type OperatingSystem = (typeof OPERATING_SYSTEMS)[number];

/** Processor architectures, named as EC2 names them on images and instance types. */
export const ARCHITECTURES = ["x86_64", "arm64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/**
 * EC2 marks AWS Graviton families with a `g` right after the generation (t4g, m7g, c7gn): those run
 * arm64, every other family x86_64.
 */
export const architectureOf = (instanceType: InstanceType): Architecture =>
  /^[a-z]+\d+g/.test(instanceType) ? "arm64" : "x86_64";

/** The architectures each operating system publishes images for: an instance type of another cannot boot it. */
export const OS_ARCHITECTURES: Record<OperatingSystem, readonly Architecture[]> = {
  "amazon-linux-2023": ["x86_64", "arm64"],
  "ubuntu-24.04": ["x86_64", "arm64"],
  "ubuntu-22.04": ["x86_64", "arm64"],
  "windows-server-2022": ["x86_64"],
};

export const VOLUME_TYPES = ["gp3", "gp2", "io1", "io2", "st1", "sc1"] as const;
export type VolumeType = (typeof VOLUME_TYPES)[number];

interface SizeRangeGiB {
  min: number;
  max: number;
}

/** The contract's bounds for every volume, whatever its type. */
export const VOLUME_SIZE_GIB = { min: 8, max: 16384 } as const satisfies SizeRangeGiB;

/**
 * EBS's own size limits per volume type, from AWS's "Amazon EBS volume types"
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html).
 */
const EBS_SIZE_GIB: Record<VolumeType, SizeRangeGiB> = {
  gp3: { min: 1, max: 16384 },
  gp2: { min: 1, max: 16384 },
  io1: { min: 4, max: 16384 },
  io2: { min: 4, max: 65536 },
  st1: { min: 125, max: 16384 },
  sc1: { min: 125, max: 16384 },
};

/** The sizes a request may ask for, per type: EBS's limits within the contract's bounds. */
const VOLUME_SIZE_GIB_BY_TYPE = Object.fromEntries(
  VOLUME_TYPES.map((type) => [
    type,
    {
      min: Math.max(VOLUME_SIZE_GIB.min, EBS_SIZE_GIB[type].min),
      max: Math.min(VOLUME_SIZE_GIB.max, EBS_SIZE_GIB[type].max),
    },
  ]),
) as Record<VolumeType, SizeRangeGiB>;

/**
 * EC2 cannot boot from the HDD types, st1 and sc1 ("Boot volume: Not supported", AWS's
 * https://docs.aws.amazon.com/ebs/latest/userguide/hdd-vols.html): a volume of those types is added
 * beside the image's root volume, and every other type replaces the root volume.
 */
const BOOT_VOLUME_TYPES: ReadonlySet<VolumeType> = new Set(["gp3", "gp2", "io1", "io2"]);

export const isBootVolumeType = (type: VolumeType): boolean => BOOT_VOLUME_TYPES.has(type);

/** Root volumes smaller than its image cannot be launched: Windows Server images are 30 GiB. */
export const OS_MIN_VOLUME_GIB: Partial<Record<OperatingSystem, number>> = { "windows-server-2022": 30 };

export const JUSTIFICATION_MAX_LENGTH = 2000;

/**
 * Every size rule beyond the contract's bounds, in one place: EC2 refuses a size outside its type's
 * range, and a root volume smaller than its image, only after the request was approved.
 */
const volumeSizeProblemOf = (
  os: OperatingSystem,
  { sizeGiB, type }: { sizeGiB: number; type: VolumeType },
): string | undefined => {
  const range = VOLUME_SIZE_GIB_BY_TYPE[type];
  if (sizeGiB < range.min || sizeGiB > range.max) {
    return `must be between ${range.min} and ${range.max} GiB for ${type} volumes`;
  }
  const imageGiB = OS_MIN_VOLUME_GIB[os];
  if (isBootVolumeType(type) && imageGiB !== undefined && sizeGiB < imageGiB) {
    return `must be at least ${imageGiB} for ${os}: its image needs a root volume of ${imageGiB} GiB`;
  }
  return undefined;
};

/** The fields the volume size rules read. */
const VOLUME_RULE_INPUTS: readonly PropertyKey[] = ["os", "volume"];

export const ec2ResourceSchema = z
  .strictObject({
    type: z.literal("ec2", mustBe("ec2")),
    instanceType: z.enum(INSTANCE_TYPES, oneOf(INSTANCE_TYPES)),
    os: z.enum(OPERATING_SYSTEMS, oneOf(OPERATING_SYSTEMS)),
    name: nameSchema(128).optional(),
    volume: z
      .strictObject(
        {
          sizeGiB: z
            .number(mustBe("a number"))
            .int("must be a whole number")
            .min(VOLUME_SIZE_GIB.min, `must be at least ${VOLUME_SIZE_GIB.min}`)
            .max(VOLUME_SIZE_GIB.max, `must be at most ${VOLUME_SIZE_GIB.max}`),
          type: z.enum(VOLUME_TYPES, oneOf(VOLUME_TYPES)),
        },
        mustBe("an object with sizeGiB and type"),
      )
      .optional(),
    privateIp: z.ipv4(mustBe("an IPv4 address")).optional(),
    subnetId: z
      .string(mustBe("a string"))
      .regex(
        /^subnet-[0-9a-f]{1,17}$/,
        "must look like subnet-0abc1234: subnet- and 1 to 17 lowercase hex digits",
      )
      .optional(),
  })
  .superRefine(({ instanceType, os }, context) => {
    const architecture = architectureOf(instanceType);
    const supported = OS_ARCHITECTURES[os];
    if (!supported.includes(architecture)) {
      context.addIssue({
        code: "custom",
        path: ["instanceType"],
        input: instanceType,
        message: `must be an ${supported.join(" or ")} instance type: ${os} runs only on ${supported.join(" or ")}, and ${instanceType} is ${architecture}`,
      });
    }
  })
  .superRefine(
    ({ os, volume }, context) => {
      if (!volume) return;
      const problem = volumeSizeProblemOf(os, volume);
      if (problem) {
        context.addIssue({
          code: "custom",
          path: ["volume", "sizeGiB"],
          input: volume.sizeGiB,
          message: problem,
        });
      }
    },
    // Judged only once the fields they read passed their own checks, so a size gets one message at a time;
    // never on a value that is no object at all (zod would otherwise run it on `null` and throw).
    {
      when: ({ value, issues }) =>
        typeof value === "object" &&
        value !== null &&
        !issues.some((issue) => VOLUME_RULE_INPUTS.includes(issue.path?.[0] ?? "")),
    },
  );

export const RESOURCE_TYPES = ["ec2", "rds", "s3"] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

const resourceTypeMessage = oneOf(RESOURCE_TYPES).error;
const resourceObjectMessage = mustBe("an object").error;

/**
 * Routed on `type`: each launcher subscribes to its own, and a new type joins as one more member
 * without touching the others. A resource that is no object at all is told so; only an object with an
 * unknown type hears the types.
 */
export const resourceSchema = z.discriminatedUnion(
  "type",
  [ec2ResourceSchema, rdsResourceSchema, s3ResourceSchema],
  {
    error: (issue) =>
      issue.code === "invalid_union"
        ? resourceTypeMessage({ input: (issue.input as Record<string, unknown>).type })
        : resourceObjectMessage(issue),
  },
);

export const justificationSchema = z
  .string(mustBe("a string"))
  .trim()
  .min(1, "must not be empty")
  .max(JUSTIFICATION_MAX_LENGTH, `must be at most ${JUSTIFICATION_MAX_LENGTH} characters`)
  .regex(FREE_TEXT, FREE_TEXT_RULE);

/**
 * The request as it travels after intake accepted it: the id is always there, and so are the region
 * and the cost estimate intake settled, except on requests accepted before they existed (created in
 * the stack's own region, with no estimate).
 */
export const acceptedRequestSchema = z.strictObject({
  requestId: requestIdSchema,
  requester: requesterSchema,
  resource: resourceSchema,
  justification: justificationSchema,
  region: regionSchema.optional(),
  /** How long the requester asked to keep the resource; the policy's default when absent. */
  lease: requestedLeaseSchema.optional(),
  estimatedMonthlyCostUsd: estimatedMonthlyCostSchema.optional(),
  costEstimate: costEstimateSchema.optional(),
});

export type AcceptedRequest = z.output<typeof acceptedRequestSchema>;
export type Resource = z.output<typeof resourceSchema>;
export type Ec2Resource = z.output<typeof ec2ResourceSchema>;
/** A request for one type of resource, as that type's launcher receives it. */
export type RequestFor<Type extends ResourceType> = AcceptedRequest & {
  resource: Extract<Resource, { type: Type }>;
};

export const isoTimestampSchema = z.iso.datetime({ error: "must be an ISO 8601 UTC timestamp" });

export const REASON_MAX_LENGTH = 1000;

/** An approver's reason for a decision, as the decision events carry it. */
export const reasonSchema = z
  .string()
  .trim()
  .max(REASON_MAX_LENGTH, `must be at most ${REASON_MAX_LENGTH} characters`)
  .regex(FREE_TEXT, FREE_TEXT_RULE);

export const instanceIdSchema = z.string().regex(/^i-[0-9a-f]{8,17}$/, "must look like i-0123456789abcdef0");
