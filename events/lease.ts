import { z } from "zod";
import { bucketNameSchema, dbInstanceIdentifierSchema } from "./launched-resource.ts";
import { leaseDurationSchema } from "./lease-duration.ts";
import { regionSchema } from "./region.ts";
import { emailSchema, instanceIdSchema, isoTimestampSchema, justificationSchema } from "./request.ts";

/**
 * Building blocks of leases: every provisioned resource has an end (docs/LEASES.md). A request asks
 * for how long (`lease`), its policy decides the terms (`leaseTermsSchema`), the clock starts when the
 * resource is PROVISIONED, and at the end the resource's launcher releases it as the terms say.
 */

/** What happens to a resource when its lease ends, by resource type. */
export const END_ACTIONS = {
  ec2: ["terminate", "stop"],
  rds: ["snapshot-and-delete", "delete-without-snapshot"],
  s3: ["delete-if-empty"],
} as const;

/** The default of each type: nothing is kept running, and no database goes without a final snapshot. */
export const DEFAULT_END_ACTIONS = {
  ec2: "terminate",
  rds: "snapshot-and-delete",
  s3: "delete-if-empty",
} as const satisfies { [Type in keyof typeof END_ACTIONS]: (typeof END_ACTIONS)[Type][number] };

export const endActionSchema = z.enum([...END_ACTIONS.ec2, ...END_ACTIONS.rds, ...END_ACTIONS.s3]);
export type EndAction = z.output<typeof endActionSchema>;

/**
 * A request's lease as its policy settled it when the request was accepted: decision puts it on the
 * approval's events (ApprovalStageStarted, RequestApproved), the lease service keeps it.
 */
export const leaseTermsSchema = z.strictObject({
  /** How long from PROVISIONED; `null` for no end (only where the policy allows it). */
  duration: leaseDurationSchema.nullable(),
  /** What is done to the resource at the end (or on an early release). */
  onEnd: endActionSchema,
  /** The longest the whole lease may run after extensions, from PROVISIONED; `null` when no end is allowed. */
  max: leaseDurationSchema.nullable(),
});

export type LeaseTerms = z.output<typeof leaseTermsSchema>;

/** The resource a lease holds, as its launcher named it when it was provisioned, and where it is. */
export const leasedResourceSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("ec2"), instanceId: instanceIdSchema, region: regionSchema }),
  z.strictObject({
    type: z.literal("rds"),
    dbInstanceIdentifier: dbInstanceIdentifierSchema,
    region: regionSchema,
  }),
  z.strictObject({ type: z.literal("s3"), bucketName: bucketNameSchema, region: regionSchema }),
]);

export type LeasedResource = z.output<typeof leasedResourceSchema>;

/**
 * Why a resource is released: its lease ended, its requester or an operator released it here, or it was
 * terminated or deleted outside this tool (in the console, by an operator) while its lease ran.
 */
export const RELEASE_REASONS = [
  "lease-ended",
  "released-by-requester",
  "released-by-operator",
  "ended-outside",
] as const;
export const releaseReasonSchema = z.enum(RELEASE_REASONS);
export type ReleaseReason = z.output<typeof releaseReasonSchema>;

/** Whoever asked for a release or an extension: a signed-in person. */
export const leaseActorSchema = z.strictObject({
  email: emailSchema,
  subject: z.string().min(1).max(255).optional(),
});

/** One extension of a lease, numbered from 1 per request. */
export const extensionSchema = z.strictObject({
  n: z.number().int().min(1),
  /** The end asked for. */
  until: isoTimestampSchema,
  /** The end it replaces. */
  from: isoTimestampSchema,
  justification: justificationSchema,
  askedBy: leaseActorSchema,
  askedAt: isoTimestampSchema,
});

export type Extension = z.output<typeof extensionSchema>;

/** What an approval event of an extension round names of it (the round's approvals carry it). */
export const extensionRefSchema = extensionSchema.pick({
  n: true,
  until: true,
  from: true,
  justification: true,
});

export type ExtensionRef = z.output<typeof extensionRefSchema>;

/** What the launcher did at the release, as `ResourceReleased` reports it. */
export const RELEASE_OUTCOMES = ["terminated", "stopped", "deleted"] as const;
export const releaseOutcomeSchema = z.enum(RELEASE_OUTCOMES);

/** The `ExpiresAt` tag launchers put on a leased resource: its end, or this for no end. */
export const EXPIRES_AT_TAG = "ExpiresAt";
export const NO_END_TAG_VALUE = "never";
