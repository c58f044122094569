import { z } from "zod";
import { approvalVoteSchema, deciderSchema, policyRefSchema } from "./approval-policy.ts";
import { defineEvent } from "./contract.ts";
import { LAUNCHER_SOURCES, OTHER_LAUNCHER_SOURCES } from "./launched-resource.ts";
import {
  endActionSchema,
  extensionRefSchema,
  extensionSchema,
  leaseActorSchema,
  leasedResourceSchema,
  leaseTermsSchema,
  releaseOutcomeSchema,
  releaseReasonSchema,
} from "./lease.ts";
import {
  acceptedRequestSchema,
  isoTimestampSchema,
  RESOURCE_TYPES,
  reasonSchema,
  requestIdSchema,
} from "./request.ts";

/**
 * The events of a lease, from its start to the resource's release (docs/LEASES.md). The lease service
 * keeps the clock (LeaseStarted, LeaseTimerDue, LeaseExpiring, LeaseExtended, ReleaseRequested);
 * decision decides extensions (ExtensionRequested -> ExtensionDecided) through the approval policies;
 * each resource's launcher releases it and makes sure it is gone (ReleaseCheckDue, ResourceReleased,
 * ReleaseFailed). Every event the requester is mailed about carries the request, so the notifier needs
 * no lookup.
 */

const LEASE_SOURCE = "approvals.lease";

export const LeaseStarted = defineEvent({
  source: LEASE_SOURCE,
  detailType: "LeaseStarted",
  description:
    "The resource is PROVISIONED and its lease runs: it ends at endsAt (null: no end), when the terms' onEnd is done to it. Launchers tag the resource ExpiresAt.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    resource: leasedResourceSchema,
    terms: leaseTermsSchema,
    startedAt: isoTimestampSchema,
    endsAt: isoTimestampSchema.nullable(),
  }),
});

/** What a timer of a lease is for: one reminder before the end, or the end itself. */
export const LEASE_TIMER_KINDS = ["reminder", "end"] as const;

export const LeaseTimerDue = defineEvent({
  source: LEASE_SOURCE,
  detailType: "LeaseTimerDue",
  description:
    "A one-time schedule of a lease is due (EventBridge Scheduler puts it on the bus): send a reminder, or end the lease. Ignored when the lease has moved past it (extended, released).",
  schema: z.strictObject({
    requestId: requestIdSchema,
    kind: z.enum(LEASE_TIMER_KINDS),
    /** The end the timer was set for: a timer of an end since moved does nothing. */
    endsAt: isoTimestampSchema,
    /** Which reminder, from 1, in LEASE_REMINDERS' order; only for a reminder. */
    n: z.number().int().min(1).optional(),
    dueAt: isoTimestampSchema,
  }),
});

export const LeaseExpiring = defineEvent({
  source: LEASE_SOURCE,
  detailType: "LeaseExpiring",
  description:
    "A reminder to the requester before the lease ends: the resource, when it ends, what will happen then; the notifier mails it with links to extend and to release now.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    resource: leasedResourceSchema,
    endsAt: isoTimestampSchema,
    onEnd: endActionSchema,
    /** Which reminder this is, from 1. */
    n: z.number().int().min(1),
    remindedAt: isoTimestampSchema,
  }),
});

export const ExtensionRequested = defineEvent({
  source: LEASE_SOURCE,
  detailType: "ExtensionRequested",
  description:
    "The requester asks for a later end of a running lease; decision puts it through the approval policies like a request.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    resource: leasedResourceSchema,
    terms: leaseTermsSchema,
    extension: extensionSchema,
    /** When the lease started (PROVISIONED): a policy's maximum counts from it. */
    startedAt: isoTimestampSchema,
  }),
});

/** ExtensionDecided's reason for a round still pending when the resource was released: nothing is left to extend. */
export const RELEASED_BEFORE_DECIDED = "the resource was released before the extension was decided";

export const ExtensionDecided = defineEvent({
  source: "approvals.decision",
  detailType: "ExtensionDecided",
  description:
    "An extension is approved (by a policy within its limits, or by the approvers it asked) or refused (by a policy, an approver, or nobody deciding in time), with the reason.",
  schema: z
    .strictObject({
      requestId: requestIdSchema,
      request: acceptedRequestSchema,
      extension: extensionRefSchema,
      approved: z.boolean(),
      /**
       * The approver who decided, or `policy:<name>`; absent when nobody decided: the extension's round
       * expired undecided, or the resource was released first (reason RELEASED_BEFORE_DECIDED).
       */
      decider: deciderSchema.optional(),
      reason: reasonSchema.optional(),
      policy: policyRefSchema.optional(),
      /** The approvals the extension's round counted, all stages; absent when a policy decided at once. */
      approvals: z.array(approvalVoteSchema).optional(),
      decidedAt: isoTimestampSchema,
    })
    .refine((detail) => !detail.approved || detail.decider !== undefined, {
      path: ["decider"],
      message: "is required when the extension is approved",
    }),
});

export const LeaseExtended = defineEvent({
  source: LEASE_SOURCE,
  detailType: "LeaseExtended",
  description: "An approved extension moved the lease's end, its reminders and the resource's ExpiresAt tag.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    resource: leasedResourceSchema,
    extension: extensionRefSchema,
    previousEndsAt: isoTimestampSchema,
    endsAt: isoTimestampSchema,
    decider: deciderSchema,
    extendedAt: isoTimestampSchema,
  }),
});

export const ReleaseRequested = defineEvent({
  source: LEASE_SOURCE,
  detailType: "ReleaseRequested",
  description:
    "The resource is to be released now: its lease ended, or its requester or an operator released it early. Its launcher does the action (routed by resource type).",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    resource: leasedResourceSchema,
    action: endActionSchema,
    reason: releaseReasonSchema,
    /** Who released it early; absent when the lease ended. */
    by: leaseActorSchema.optional(),
    /** Their words, when they gave any. */
    note: reasonSchema.optional(),
    requestedAt: isoTimestampSchema,
  }),
});

/** The launchers' own schedules: each checks its release again until the resource is gone. */
export const ReleaseCheckDue = defineEvent({
  source: LAUNCHER_SOURCES.ec2,
  otherProducers: OTHER_LAUNCHER_SOURCES,
  detailType: "ReleaseCheckDue",
  description:
    "A launcher's reaper looks again at a released resource (EventBridge Scheduler, with backoff): describe it, release it again if it still runs, and report it released or failed.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    resourceType: z.enum(RESOURCE_TYPES),
    /** The check's place, from 1: the next one waits longer, and after the last the release fails. */
    attempt: z.number().int().min(1),
    dueAt: isoTimestampSchema,
  }),
});

export const ResourceReleased = defineEvent({
  source: LAUNCHER_SOURCES.ec2,
  otherProducers: OTHER_LAUNCHER_SOURCES,
  detailType: "ResourceReleased",
  description:
    "The launcher confirmed with a describe that the resource is stopped, terminated or deleted: the request is RELEASED, with the reason.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    resource: leasedResourceSchema,
    action: endActionSchema,
    outcome: releaseOutcomeSchema,
    reason: releaseReasonSchema,
    /** Who released it early, as ReleaseRequested named them; absent when the lease ended. */
    by: leaseActorSchema.optional(),
    /** The database's final snapshot, when one was taken. */
    finalSnapshotIdentifier: z.string().min(1).optional(),
    /**
     * The `requestedAt` of the ReleaseRequested this answers, so the lease service tells a report of an
     * earlier release from one of the latest without comparing two services' clocks; absent when the
     * resource ended outside this tool (reason ended-outside).
     */
    releaseRequestedAt: isoTimestampSchema.optional(),
    releasedAt: isoTimestampSchema,
  }),
});

export const ReleaseFailed = defineEvent({
  source: LAUNCHER_SOURCES.ec2,
  otherProducers: OTHER_LAUNCHER_SOURCES,
  detailType: "ReleaseFailed",
  description:
    "The launcher could not make sure the resource is gone (or kept it on purpose: a bucket that is not empty); the requester and the operators are told.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    resource: leasedResourceSchema,
    action: endActionSchema,
    reason: releaseReasonSchema,
    /** What went wrong, for people. */
    problem: z.string().min(1).max(1000),
    /** The resource was kept on purpose (a bucket with objects in it), rather than failing to go. */
    kept: z.boolean(),
    attempts: z.number().int().min(1),
    /** The `requestedAt` of the ReleaseRequested this answers (see ResourceReleased). */
    releaseRequestedAt: isoTimestampSchema.optional(),
    failedAt: isoTimestampSchema,
  }),
});
