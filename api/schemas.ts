import { z } from "@hono/zod-openapi";
import { costEstimateSchema, estimatedMonthlyCostSchema } from "../events/cost-estimate.ts";
import { provisionedBucketSchema, provisionedDatabaseSchema } from "../events/launched-resource.ts";
import { endActionSchema, releaseOutcomeSchema, releaseReasonSchema } from "../events/lease.ts";
import { leaseDurationSchema } from "../events/lease-duration.ts";
import { regionSchema } from "../events/region.ts";
import { justificationSchema, requesterSchema, requestIdSchema, resourceSchema } from "../events/request.ts";
import { REQUEST_STATUSES } from "../events/request-status.ts";
import { ResourceRequested } from "../events/resource-requested.ts";

/** The bodies the HTTP API answers with: what its routes in `contract.ts` promise and its clients read. */

export const fieldErrorSchema = z
  .object({
    field: z.string().openapi({ description: "Dotted path of the field, e.g. resource.volume.sizeGiB" }),
    message: z.string(),
  })
  .openapi("FieldError", { description: "A field's problem; the empty field is the whole body." });

/** Every refusal: a message for people, and for a refused input each field's problem. */
export const errorBodySchema = z
  .object({ error: z.string(), fieldErrors: z.array(fieldErrorSchema).optional() })
  .openapi("Error");

export type ErrorBody = z.output<typeof errorBodySchema>;

export const decisionSchema = z
  .object({
    outcome: z.enum(["APPROVED", "REJECTED", "EXPIRED", "CANCELLED"]),
    approver: z.string().optional().openapi({
      description:
        "Who decided: an approver's email, policy:<name> when a policy approved or refused it, or the requester who withdrew it (CANCELLED); absent for an expiry, and for a refusal before any approver was asked.",
    }),
    reason: z.string().optional(),
    decidedAt: z.string(),
  })
  .openapi("Decision");

export type Decision = z.output<typeof decisionSchema>;

const askedSchema = z.object({
  email: z.string(),
  onBehalfOf: z.string().optional().openapi({ description: "Whom they were asked for, as a delegate." }),
  askedAt: z.string(),
  escalated: z
    .literal(true)
    .optional()
    .openapi({ description: "Asked when the stage was escalated, not when it started." }),
});

const remindedSchema = z.object({
  email: z.string(),
  times: z.number().int().openapi({ description: "How many reminders they were sent." }),
  lastAt: z.string(),
});

const approvedBySchema = z.object({ email: z.string(), onBehalfOf: z.string().optional(), at: z.string() });

const APPROVAL_STAGE_STATES = ["waiting", "active", "approved", "rejected", "expired", "cancelled"] as const;

export const approvalStageSchema = z
  .object({
    index: z.number().int().openapi({ description: "The stage's place, from 0." }),
    name: z.string(),
    quorum: z.union([z.number().int(), z.literal("all")]).openapi({
      description: 'Distinct approvals the stage needs; "all" until the stage starts and knows whom it asks.',
    }),
    state: z.enum(APPROVAL_STAGE_STATES).openapi({
      description:
        "waiting: not started yet; active: asking now; approved: reached its quorum; rejected: someone in it rejected; expired: nobody decided in time; cancelled: the requester withdrew the request while it asked.",
    }),
    asked: z.array(askedSchema),
    approvedBy: z.array(approvedBySchema),
    rejectedBy: z.object({ email: z.string(), at: z.string(), reason: z.string().optional() }).optional(),
    reminded: z
      .array(remindedSchema)
      .optional()
      .openapi({ description: "Who was reminded, how often and when last; absent before any reminder." }),
  })
  .openapi("ApprovalStage");

export type ApprovalStage = z.output<typeof approvalStageSchema>;

export const approvalSchema = z
  .object({
    policy: z.object({
      name: z.string(),
      hash: z.string().openapi({ description: "A hash of the policy's text, so a later edit shows." }),
      why: z
        .array(z.string())
        .openapi({ description: "In words: the policies skipped and why, then why this one applies." }),
    }),
    outcome: z.enum(["autoApprove", "deny", "stages"]),
    stages: z
      .array(approvalStageSchema)
      .openapi({ description: "In order; empty for autoApprove and deny." }),
    waitingFor: z.string().optional().openapi({
      description:
        'Who is still needed, in words, while the request waits: "Waiting for 1 more approval from team leads (stage 1 of 2)".',
    }),
  })
  .openapi("Approval", {
    description:
      "How the approval policy decides the request: the policy that matched, and each stage's progress.",
  });

export type Approval = z.output<typeof approvalSchema>;

const EXTENSION_STATES = ["requested", "approved", "refused"] as const;

export const leaseExtensionSchema = z
  .object({
    n: z.number().int().openapi({ description: "The extension's number on this request, from 1." }),
    from: z.string().openapi({ description: "The end it would replace." }),
    until: z.string().openapi({ description: "The end asked for." }),
    justification: z.string(),
    askedBy: z.string().optional().openapi({ description: "Who asked for it (an email)." }),
    askedAt: z.string().optional(),
    status: z.enum(EXTENSION_STATES).openapi({
      description:
        "requested: being decided; approved: the end moved; refused: by a policy, an approver, or nobody deciding in time.",
    }),
    decider: z.string().optional().openapi({
      description:
        "An approver's email or policy:<name>; absent while requested and when nobody decided in time.",
    }),
    reason: z.string().optional(),
    decidedAt: z.string().optional(),
    expiresAt: z.string().optional().openapi({
      description:
        "When its round of approval expires undecided, when its policy asked approvers: never after the lease's end.",
    }),
    approval: approvalSchema.optional().openapi({
      description: "The round of approval it went through, when its policy asked approvers.",
    }),
  })
  .openapi("LeaseExtension");

export type LeaseExtension = z.output<typeof leaseExtensionSchema>;

export const leaseReleaseSchema = z
  .object({
    reason: releaseReasonSchema,
    action: endActionSchema.describe("What is done to the resource."),
    by: z
      .string()
      .optional()
      .openapi({ description: "Who released it early (an email); absent when the lease ended." }),
    note: z.string().optional().openapi({ description: "Their words, when they gave any." }),
    requestedAt: z
      .string()
      .optional()
      .openapi({ description: "When it was asked for; absent for a resource ended outside this tool." }),
    outcome: releaseOutcomeSchema.describe("What its launcher confirmed, once released.").optional(),
    releasedAt: z.string().optional(),
    finalSnapshotIdentifier: z.string().optional().openapi({ description: "A database's final snapshot." }),
    problem: z
      .string()
      .optional()
      .openapi({ description: "Why the release failed, or why the resource was kept." }),
    kept: z.boolean().optional().openapi({
      description:
        "Present once the release failed: true when the resource was kept on purpose (a bucket that is not empty).",
    }),
    failedAt: z.string().optional(),
  })
  .openapi("LeaseRelease");

export type LeaseRelease = z.output<typeof leaseReleaseSchema>;

export const leaseViewSchema = z
  .object({
    duration: z
      .string()
      .nullable()
      .openapi({ description: "How long from PROVISIONED (ISO 8601); null for no end." }),
    onEnd: endActionSchema.describe("What is done to the resource at the end, or on an early release."),
    max: z.string().nullable().openapi({
      description:
        "The longest the lease may run after extensions, from PROVISIONED; null when no end is allowed.",
    }),
    startedAt: z
      .string()
      .optional()
      .openapi({ description: "When the lease started: the resource PROVISIONED." }),
    endsAt: z.string().nullable().optional().openapi({
      description:
        "When it is planned to end, after any approved extension; null for no end; absent before it started. Stays the planned end after an early release: leaseEndsAt says when it ended.",
    }),
    extensions: z.array(leaseExtensionSchema).openapi({ description: "Oldest first." }),
    release: leaseReleaseSchema.optional().openapi({
      description:
        "Its latest release: a later release (a kept bucket emptied and released again) replaces an earlier one.",
    }),
  })
  .openapi("Lease", { description: "The request's lease as its policy settled it, and what became of it." });

export type LeaseView = z.output<typeof leaseViewSchema>;

export const requestViewSchema = z
  .object({
    requestId: requestIdSchema,
    status: z.enum(REQUEST_STATUSES),
    requester: z.object({ email: z.string(), name: z.string().optional() }).optional(),
    resource: resourceSchema.optional(),
    justification: z.string().optional(),
    submittedAt: z.string().openapi({ description: "When the request's earliest audited event happened." }),
    updatedAt: z.string().openapi({ description: "When its latest audited event happened." }),
    region: regionSchema.optional().openapi({
      description:
        "Where it is created; absent on requests accepted before regions, created in the stack's own.",
    }),
    estimatedMonthlyCostUsd: estimatedMonthlyCostSchema.optional().openapi({
      description:
        "What it is expected to cost a month in US dollars, at list prices when it was accepted; null when a price is unknown (never 0 for unknown); absent on requests accepted before estimates.",
    }),
    costEstimate: costEstimateSchema.optional().openapi({
      description: "The estimate's parts, with their unit prices and the day the prices were read.",
    }),
    decision: decisionSchema.optional(),
    instanceId: z.string().optional(),
    privateIp: z.string().optional(),
    dbInstanceIdentifier: z.string().optional().openapi({
      description: "The RDS DB instance the launcher creates, once it has asked for it.",
    }),
    database: provisionedDatabaseSchema.optional().openapi({
      description:
        "The database once available: its endpoint and the Secrets Manager secret holding the master user's password.",
    }),
    bucket: provisionedBucketSchema.optional().openapi({ description: "The bucket once configured." }),
    fieldErrors: z.array(fieldErrorSchema).optional(),
    failureReason: z.string().optional(),
    approvers: z
      .array(z.string())
      .optional()
      .openapi({ description: "Everyone asked to approve it, in any stage." }),
    expiresAt: z.string().optional(),
    approval: approvalSchema.optional().openapi({
      description: "Absent for requests decided before approval policies.",
    }),
    provisionedAt: z.string().optional().openapi({ description: "When the resource was ready." }),
    lease: leaseViewSchema.optional().openapi({
      description: "Once its policy settled it; absent on requests from before leases.",
    }),
    leaseEndsAt: z.string().nullable().optional().openapi({
      description:
        "When the lease ends: its planned end (lease.endsAt) while it runs, null for no end; once a release is asked for, when the latest release was asked for (lease.release.requestedAt), or when the resource was found ended outside this tool; absent before the lease started.",
    }),
  })
  .openapi("RequestView", { description: "A request as the audit trail projects it from its events." });

export type RequestView = z.output<typeof requestViewSchema>;

export const timelineEntrySchema = z
  .object({
    eventId: z.string(),
    type: z.string(),
    time: z.string().openapi({
      description: "The event's time in ISO 8601 with milliseconds, so that times compare as strings.",
    }),
    source: z.string(),
    account: z.string().optional().openapi({
      description:
        "The AWS account that put the event on the bus, as EventBridge gives it: with the source, who published it. Absent on entries recorded before it was kept.",
    }),
    detail: z.unknown().openapi({ description: "The detail exactly as it was delivered." }),
    summary: z.string().optional().openapi({
      description:
        'The event in words, e.g. "lead-a@example.com approved in stage 1 of 2 (team leads): 1 of 2"; absent where the event\'s type says enough.',
    }),
  })
  .openapi("TimelineEntry", { description: "One audited event of a request." });

export type TimelineEntry = z.output<typeof timelineEntrySchema>;

export const costSoFarSchema = z
  .object({
    hours: z.number().openapi({ description: "Hours run, from provisioning to its release, or to asOf." }),
    usd: z.number().nullable().openapi({
      description:
        "What those hours cost at the estimate's prices, rounded to cents; null when a price is unknown or the resource is billed by use (S3), never 0 for unknown.",
    }),
    asOf: z.string().openapi({ description: "When it was worked out." }),
  })
  .openapi("CostSoFar");

export type CostSoFar = z.output<typeof costSoFarSchema>;

export const requestWithTimelineSchema = requestViewSchema
  .extend({
    timeline: z.array(timelineEntrySchema).openapi({ description: "Oldest first." }),
    costSoFar: costSoFarSchema.optional().openapi({
      description: "Once provisioned, for a request with a cost estimate: worked out as it is read.",
    }),
  })
  .openapi("RequestWithTimeline");

/** `GET /api/requests/{id}`: the request's view and every event audited for it, oldest first. */
export type RequestWithTimeline = z.output<typeof requestWithTimelineSchema>;

export const requestPageSchema = z
  .object({
    items: z.array(requestViewSchema),
    nextCursor: z.string().optional().openapi({ description: "Absent on the last page." }),
  })
  .openapi("RequestPage", { description: "One page of requests, newest first." });

export type RequestPage = z.output<typeof requestPageSchema>;

/**
 * What `POST /api/requests` takes: a `ResourceRequested` detail whose requester is the signed-in
 * caller. The event other systems publish keeps its required requester; over HTTP the access token
 * says who asks, so the body need not.
 */
export const submissionBodySchema = ResourceRequested.schema
  .extend({
    // The requester's subject comes from the access token only, never from a body.
    requester: requesterSchema.omit({ subject: true }).optional().openapi({
      description:
        "Who asks: always the signed-in user, from the access token. May be left out; one naming anybody else (by email, whatever its case) is refused.",
    }),
  })
  .openapi("SubmissionBody");

export type SubmissionBody = z.output<typeof submissionBodySchema>;

export const submissionSchema = z
  .object({ requestId: requestIdSchema, status: z.literal("SUBMITTED") })
  .openapi("Submission");

/** `POST /api/estimates`: what a request would ask for, to price it before it is sent. */
export const estimateBodySchema = z
  .strictObject({
    resource: resourceSchema,
    region: regionSchema
      .optional()
      .openapi({ description: "One of the allowed regions; the default when absent." }),
  })
  .openapi("EstimateBody");

export type EstimateBody = z.output<typeof estimateBodySchema>;

export const estimateSchema = z
  .object({
    region: regionSchema,
    estimatedMonthlyCostUsd: estimatedMonthlyCostSchema,
    costEstimate: costEstimateSchema,
  })
  .openapi("Estimate", {
    description:
      "What the resource would cost a month at on-demand list prices, part by part; the total, rounded to cents, is null when any part's price is unknown.",
  });

export type EstimateAnswer = z.output<typeof estimateSchema>;

/** `GET /api/regions`: where requests may create resources, so a form offers only those. */
export const regionsSchema = z
  .object({ allowed: z.array(regionSchema), default: regionSchema })
  .openapi("Regions", {
    description:
      "The regions a request may name, and the one (among them) a request that names none is created in.",
  });

export type Regions = z.output<typeof regionsSchema>;

/** `POST /api/requests/{id}/withdraw`: the requester may say why. */
export const withdrawalBodySchema = z
  .object({
    reason: z.string().optional().openapi({
      description: "Shown to the approvers who were asked; at most 1,000 characters once trimmed.",
    }),
  })
  .openapi("WithdrawalBody");

export type WithdrawalBody = z.output<typeof withdrawalBodySchema>;

export const withdrawalSchema = z
  .object({ requestId: requestIdSchema, status: z.literal("CANCELLED") })
  .openapi("Withdrawal");

export type WithdrawalAnswer = z.output<typeof withdrawalSchema>;

export const extensionBodySchema = z
  .object({
    by: leaseDurationSchema.describe(
      "How much longer to keep the resource, from the lease's current end (ISO 8601, e.g. P3D).",
    ),
    justification: justificationSchema.describe("Why it is needed longer; shown to the approvers."),
  })
  .openapi("ExtensionBody");

export type ExtensionBody = z.output<typeof extensionBodySchema>;

export const extensionAnswerSchema = z
  .object({
    requestId: requestIdSchema,
    /** The extension's number on this request, from 1. */
    n: z.number().int(),
    from: z.string().openapi({ description: "The lease's end now." }),
    until: z.string().openapi({ description: "The end asked for; it holds once the extension is approved." }),
    status: z.literal("REQUESTED"),
  })
  .openapi("ExtensionRequested");

export type ExtensionAnswer = z.output<typeof extensionAnswerSchema>;

export const releaseBodySchema = z
  .object({
    reason: z.string().optional().openapi({
      description: "Why it is released early; kept on the timeline. At most 1,000 characters once trimmed.",
    }),
  })
  .openapi("ReleaseBody");

export type ReleaseBody = z.output<typeof releaseBodySchema>;

export const releaseAnswerSchema = z
  .object({
    requestId: requestIdSchema,
    status: z.literal("RELEASING"),
    action: endActionSchema,
    reason: releaseReasonSchema,
  })
  .openapi("ReleaseRequested");

export type ReleaseAnswer = z.output<typeof releaseAnswerSchema>;

/** Local mode names its edge and mailbox; on AWS nothing serves the health check. */
export const healthSchema = z
  .object({ status: z.literal("ok"), edge: z.string().optional(), mailbox: z.string().optional() })
  .openapi("Health");
