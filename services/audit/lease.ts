import type { z } from "zod";
import type { LeaseExtension, LeaseRelease, LeaseView, TimelineEntry } from "../../api/schemas.ts";
import { ApprovalEscalated } from "../../events/approval-escalated.ts";
import { ApprovalPolicyApplied } from "../../events/approval-policy-applied.ts";
import { ApprovalRequested } from "../../events/approval-requested.ts";
import { ApprovalStageCompleted } from "../../events/approval-stage-completed.ts";
import { ApprovalStageStarted } from "../../events/approval-stage-started.ts";
import { ApprovalVoteRecorded } from "../../events/approval-vote-recorded.ts";
import { ApproversReminded } from "../../events/approvers-reminded.ts";
import type { EventContract } from "../../events/contract.ts";
import type { LeaseTerms } from "../../events/lease.ts";
import {
  ExtensionDecided,
  ExtensionRequested,
  LeaseExtended,
  LeaseStarted,
  ReleaseFailed,
  ReleaseRequested,
  ResourceReleased,
} from "../../events/lease-events.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import type { RequestStatus } from "../../events/request-status.ts";
import { approvalOf } from "./approval.ts";

/** The events a lease is told from: its terms, its clock, its extensions and its release. */
const LEASE_EVENTS = [
  ApprovalPolicyApplied,
  ApprovalStageStarted,
  ApprovalRequested,
  ApproversReminded,
  ApprovalEscalated,
  ApprovalVoteRecorded,
  ApprovalStageCompleted,
  RequestApproved,
  LeaseStarted,
  ExtensionRequested,
  ExtensionDecided,
  LeaseExtended,
  ReleaseRequested,
  ResourceReleased,
  ReleaseFailed,
] as const;

type LeaseEvent<C = (typeof LEASE_EVENTS)[number]> =
  C extends EventContract<infer DetailType, infer Schema>
    ? { type: DetailType; detail: z.output<Schema> }
    : never;

const readLeaseEvent = (entry: TimelineEntry): LeaseEvent | undefined => {
  const contract = LEASE_EVENTS.find(({ detailType }) => detailType === entry.type);
  const parsed = contract?.schema.safeParse(entry.detail);
  return parsed?.success ? ({ type: entry.type, detail: parsed.data } as LeaseEvent) : undefined;
};

/**
 * The request's latest release. A resource may be released more than once (a bucket kept because it
 * held objects, emptied and released again; a stopped instance started again and stopped again): each
 * release is known by its `requestedAt`, which the launcher's report sends back (`releaseRequestedAt`;
 * none for a resource ended outside this tool, a release of its own, at its report). Releases are
 * ordered by when they were asked for, so the latest is the same whatever order the events arrived in,
 * and a late report of an earlier release never touches it. Undefined until a release is asked for.
 */
export const releaseOf = (timeline: readonly TimelineEntry[]): LeaseRelease | undefined => {
  const releases = new Map<string, LeaseRelease>();
  for (const event of timeline.flatMap((entry) => readLeaseEvent(entry) ?? [])) {
    switch (event.type) {
      case ReleaseRequested.detailType: {
        const { reason, action, by, note, requestedAt } = event.detail;
        releases.set(requestedAt, {
          reason,
          action,
          ...(by !== undefined && { by: by.email }),
          ...(note !== undefined && { note }),
          requestedAt,
          ...releases.get(requestedAt),
        });
        break;
      }
      case ResourceReleased.detailType: {
        const { reason, action, by, outcome, finalSnapshotIdentifier, releaseRequestedAt, releasedAt } =
          event.detail;
        const key = releaseRequestedAt ?? releasedAt;
        // What the launcher confirmed is what happened, whatever the ask said.
        releases.set(key, {
          ...releases.get(key),
          reason,
          action,
          ...(by !== undefined && { by: by.email }),
          ...(releaseRequestedAt !== undefined && { requestedAt: releaseRequestedAt }),
          outcome,
          ...(finalSnapshotIdentifier !== undefined && { finalSnapshotIdentifier }),
          releasedAt,
        });
        break;
      }
      case ReleaseFailed.detailType: {
        const { reason, action, problem, kept, releaseRequestedAt, failedAt } = event.detail;
        const key = releaseRequestedAt ?? failedAt;
        releases.set(key, {
          reason,
          action,
          ...(releaseRequestedAt !== undefined && { requestedAt: releaseRequestedAt }),
          ...releases.get(key),
          problem,
          kept,
          failedAt,
        });
        break;
      }
    }
  }
  const [latest] = [...releases].sort(([a], [b]) => Date.parse(b) - Date.parse(a) || (a < b ? 1 : -1));
  return latest?.[1];
};

/**
 * What a release makes the request: RELEASED once its launcher confirmed it gone (even after an attempt
 * that failed), RELEASE_FAILED once it could not, RELEASING until then.
 */
export const releaseStatusOf = ({ outcome, failedAt }: LeaseRelease): RequestStatus =>
  outcome !== undefined ? "RELEASED" : failedAt !== undefined ? "RELEASE_FAILED" : "RELEASING";

/** When a released lease ended: when its release was asked for, or when the resource was found gone. */
export const releaseEndedAt = ({ requestedAt, releasedAt, failedAt }: LeaseRelease): string | undefined =>
  requestedAt ?? releasedAt ?? failedAt;

/**
 * The request's lease from the events of its timeline, in their canonical order: the terms its policy
 * settled (as the lease service started them, else as decision's events carry them), when it started
 * and when it ends now, each extension asked for with its round of approval and its outcome, and the
 * release. Each fact is kept by extension number or by its first report, so the lease is the same
 * whatever order the events arrived in and however often. Undefined until the terms are known (and on
 * requests from before leases).
 */
export const leaseOf = (timeline: readonly TimelineEntry[]): LeaseView | undefined => {
  let startedTerms: LeaseTerms | undefined;
  let settledTerms: LeaseTerms | undefined;
  let startedAt: string | undefined;
  let endsAt: string | null | undefined;
  /** The extension whose LeaseExtended set `endsAt`: a later extension's end wins, whatever the order. */
  let endsAtExtension = 0;
  const extensions = new Map<number, LeaseExtension>();
  const release = releaseOf(timeline);

  const extensionOf = ({
    n,
    from,
    until,
    justification,
  }: Pick<LeaseExtension, "n" | "from" | "until" | "justification">) => {
    const known: LeaseExtension = extensions.get(n) ?? { n, from, until, justification, status: "requested" };
    extensions.set(n, known);
    return known;
  };

  for (const event of timeline.flatMap((entry) => readLeaseEvent(entry) ?? [])) {
    switch (event.type) {
      case RequestApproved.detailType:
        settledTerms ??= event.detail.lease;
        break;
      case ApprovalPolicyApplied.detailType:
        settledTerms ??= event.detail.lease;
        if (event.detail.extension) extensionOf(event.detail.extension);
        break;
      case ApprovalStageStarted.detailType:
        settledTerms ??= event.detail.lease;
        // Every stage of a round carries the round's one deadline.
        if (event.detail.extension) extensionOf(event.detail.extension).expiresAt = event.detail.expiresAt;
        break;
      case ApprovalRequested.detailType:
      case ApproversReminded.detailType:
      case ApprovalEscalated.detailType:
      case ApprovalVoteRecorded.detailType:
      case ApprovalStageCompleted.detailType:
        if (event.detail.extension) extensionOf(event.detail.extension);
        break;
      case LeaseStarted.detailType:
        startedTerms ??= event.detail.terms;
        startedAt ??= event.detail.startedAt;
        if (endsAtExtension === 0) endsAt = event.detail.endsAt;
        break;
      case ExtensionRequested.detailType: {
        const { extension, terms } = event.detail;
        settledTerms ??= terms;
        startedAt ??= event.detail.startedAt;
        const known = extensionOf(extension);
        known.askedBy ??= extension.askedBy.email;
        known.askedAt ??= extension.askedAt;
        break;
      }
      case ExtensionDecided.detailType: {
        const { extension, approved, decider, reason, decidedAt } = event.detail;
        const known = extensionOf(extension);
        if (known.decidedAt !== undefined) break;
        known.status = approved ? "approved" : "refused";
        if (decider !== undefined) known.decider = decider;
        if (reason !== undefined) known.reason = reason;
        known.decidedAt = decidedAt;
        break;
      }
      case LeaseExtended.detailType: {
        const { extension, decider } = event.detail;
        const known = extensionOf(extension);
        known.status = "approved";
        known.decider ??= decider;
        if (extension.n > endsAtExtension) {
          endsAtExtension = extension.n;
          endsAt = event.detail.endsAt;
        }
        break;
      }
    }
  }

  const terms = startedTerms ?? settledTerms;
  if (!terms) return undefined;
  return {
    ...terms,
    ...(startedAt !== undefined && { startedAt }),
    ...(endsAt !== undefined && { endsAt }),
    extensions: [...extensions.values()]
      .sort((a, b) => a.n - b.n)
      .map((extension) => {
        const approval = approvalOf(timeline, extension.n);
        return approval ? { ...extension, approval } : extension;
      }),
    ...(release && { release }),
  };
};
