import { z } from "zod";
import type { CostSoFar, Decision, RequestView, TimelineEntry } from "../../api/schemas.ts";
import { ApprovalPolicyApplied } from "../../events/approval-policy-applied.ts";
import { ApprovalStageCompleted } from "../../events/approval-stage-completed.ts";
import { ApprovalStageStarted } from "../../events/approval-stage-started.ts";
import { ApprovalVoteRecorded } from "../../events/approval-vote-recorded.ts";
import {
  type AcceptedRequest,
  ApprovalRequested,
  costSoFar,
  DetailValidationError,
  type EventContract,
  type FieldError,
  FLOW_EVENTS,
  LeaseStarted,
  ProvisioningFailed,
  ProvisioningStarted,
  type RawEnvelope,
  RequestAccepted,
  RequestApproved,
  RequestCancelled,
  RequestExpired,
  RequesterNotified,
  RequestInvalid,
  RequestRejected,
  ResourceProvisioned,
  ResourceRequested,
  requestIdSchema,
} from "../../events/index.ts";
import { refusalIdOf, requestIdOf } from "../../events/request-id.ts";
import type { RequestStatus } from "../../events/request-status.ts";
import type { Identity } from "../shared/access-token.ts";
import { approvalOf, awaitedForExtensionOf, extensionRoundOf } from "./approval.ts";
import { leaseOf, releaseEndedAt, releaseOf, releaseStatusOf } from "./lease.ts";

/**
 * The status each event type establishes, strongest first. A request shows the strongest status among
 * the events it has seen, so neither arrival order nor repeats can move it back along the flow. A
 * person's decision outranks the expiry sweeper. `RequestInvalid` ranks last: a refusal now has a
 * timeline of its own, but timelines recorded before that may hold the refusal of another submission
 * that reused an accepted request's id, which does not make the accepted request invalid. A policy's
 * stages make a request pending from the moment the policy is applied; an auto-approval or denial
 * does not (see `countsForStatus`), it is decided a moment later. A lease starts only on a provisioned
 * resource; nothing about its extensions moves the request from there (see `countsForStatus`), only
 * its release does, and then the status is its latest release's (see `releaseStatusOf`): a second
 * release after a failed one is RELEASING again.
 */
const STATUS_BY_PRECEDENCE = [
  [ProvisioningFailed, "FAILED"],
  [ResourceProvisioned, "PROVISIONED"],
  [LeaseStarted, "PROVISIONED"],
  [ProvisioningStarted, "PROVISIONING"],
  [RequestApproved, "APPROVED"],
  [RequestRejected, "REJECTED"],
  // Decision's one conditional write lets only one of approval, rejection and withdrawal happen.
  [RequestCancelled, "CANCELLED"],
  [RequestExpired, "EXPIRED"],
  [ApprovalStageCompleted, "PENDING_APPROVAL"],
  [ApprovalVoteRecorded, "PENDING_APPROVAL"],
  [ApprovalRequested, "PENDING_APPROVAL"],
  [ApprovalStageStarted, "PENDING_APPROVAL"],
  [ApprovalPolicyApplied, "PENDING_APPROVAL"],
  [RequestAccepted, "SUBMITTED"],
  [RequestInvalid, "INVALID"],
] as const satisfies readonly (readonly [EventContract, RequestStatus])[];

export const statusOf = (seenTypes: Iterable<string>): RequestStatus => {
  const seen = new Set(seenTypes);
  return STATUS_BY_PRECEDENCE.find(([contract]) => seen.has(contract.detailType))?.[1] ?? "SUBMITTED";
};

/**
 * Whether an entry establishes its type's status: an applied policy only when it asks for approvals,
 * and no event about an extension of the lease: its round of approval asks approvers again, but of a
 * request that stays PROVISIONED.
 */
const countsForStatus = (entry: TimelineEntry): boolean =>
  extensionRoundOf(entry.detail) === undefined &&
  (entry.type !== ApprovalPolicyApplied.detailType ||
    ApprovalPolicyApplied.schema.safeParse(entry.detail).data?.outcome === "stages");

export interface AuditRecord {
  /** The timeline the event is recorded on. */
  requestId: string;
  entry: TimelineEntry;
  /**
   * For a valid `ResourceRequested`: the id of its refusal, whose timeline it belongs on instead if
   * intake refuses it (its id already named a request with other content).
   */
  refusalId?: string;
  /**
   * For a `RequestInvalid`: the refused submission, which may have been recorded under the id it went
   * by before the refusal came; it moves to the refusal's timeline.
   */
  refusedSubmission?: { requestId: string; eventId: string };
}

type FlowContract = (typeof FLOW_EVENTS)[number];

const FLOW_POSITION = new Map<string, number>(
  FLOW_EVENTS.map((contract, index) => [contract.detailType, index]),
);

const flowContractFor = (detailType: string): FlowContract | undefined =>
  FLOW_EVENTS.find((contract) => contract.detailType === detailType);

/** Every flow event but `ResourceRequested` names its request. */
const carriesRequestId = z.object({ requestId: requestIdSchema });

/**
 * What the audit trail records for an event: the request it belongs to and its timeline entry, which
 * keeps who published it (source and account). A `ResourceRequested` is outside input: a detail that
 * fails the schema is recorded under its refusal's id, as intake's `RequestInvalid` will carry it; a
 * valid one under its id (given or derived from its content), unless intake refuses it for reusing an
 * id, and then under its refusal's. Every other event comes from a service of the flow, so a detail
 * that breaks its contract is refused.
 */
export const auditRecordOf = (envelope: RawEnvelope): AuditRecord => {
  const type = envelope["detail-type"];
  const contract = flowContractFor(type);
  if (!contract) throw new UnknownEventTypeError(type);
  const entry: TimelineEntry = {
    eventId: envelope.id,
    type,
    time: new Date(envelope.time).toISOString(),
    source: envelope.source,
    account: envelope.account,
    detail: envelope.detail,
  };
  if (contract === ResourceRequested) {
    const requested = ResourceRequested.schema.safeParse(envelope.detail);
    const refusalId = refusalIdOf(envelope.id);
    return requested.success
      ? { requestId: requestIdOf(requested.data), entry, refusalId }
      : { requestId: refusalId, entry };
  }
  const parsed = contract.schema.safeParse(envelope.detail);
  if (!parsed.success) throw new DetailValidationError(type, parsed.error);
  if (contract === RequestInvalid) {
    const { requestId, givenRequestId, sourceEventId } = RequestInvalid.schema.parse(envelope.detail);
    return {
      requestId,
      entry,
      ...(givenRequestId !== undefined && {
        refusedSubmission: { requestId: givenRequestId, eventId: sourceEventId },
      }),
    };
  }
  return { requestId: carriesRequestId.parse(envelope.detail).requestId, entry };
};

export class UnknownEventTypeError extends Error {
  override readonly name = "UnknownEventTypeError";
  constructor(readonly detailType: string) {
    super(`${detailType} is not an event of the approval flow`);
  }
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Oldest first. EventBridge times have whole seconds, so events of the same second fall back to
 * their place in the flow, then to their id: the order is the same however the events arrived.
 */
export const chronologically = (a: TimelineEntry, b: TimelineEntry): number =>
  compareText(a.time, b.time) ||
  (FLOW_POSITION.get(a.type) ?? FLOW_EVENTS.length) - (FLOW_POSITION.get(b.type) ?? FLOW_EVENTS.length) ||
  compareText(a.eventId, b.eventId);

/** A timeline entry whose detail satisfies its contract, typed by its detail-type. */
type FlowEvent<C = FlowContract> =
  C extends EventContract<infer DetailType, infer Schema>
    ? { type: DetailType; detail: z.output<Schema> }
    : never;

const readEvent = (entry: TimelineEntry): FlowEvent | undefined => {
  const parsed = flowContractFor(entry.type)?.schema.safeParse(entry.detail);
  return parsed?.success ? ({ type: entry.type, detail: parsed.data } as FlowEvent) : undefined;
};

export class EmptyTimelineError extends Error {
  override readonly name = "EmptyTimelineError";
  constructor(readonly requestId: string) {
    super(`Request ${requestId} has no audited event to build its view from`);
  }
}

/**
 * The request view as a function of the set of its audited events: the events are put in one
 * canonical order first, so the view is the same whatever order they arrived in and however often.
 * Each field comes from the events that carry it; a later event's copy of the request wins over the
 * original `ResourceRequested`, which intake may have normalised.
 */
export const projectView = (requestId: string, entries: readonly TimelineEntry[]): RequestView => {
  const timeline = [...entries].sort(chronologically);
  const first = timeline[0];
  const last = timeline.at(-1);
  if (!first || !last) throw new EmptyTimelineError(requestId);

  let submitted: Pick<AcceptedRequest, "requester" | "resource" | "justification" | "region"> | undefined;
  let accepted: AcceptedRequest | undefined;
  let requesterEmail: string | undefined;
  let fieldErrors: FieldError[] | undefined;
  const decisions = new Map<string, Decision>();
  const view: Omit<RequestView, "requestId" | "status" | "submittedAt" | "updatedAt"> = {};

  for (const event of timeline.flatMap((entry) => readEvent(entry) ?? [])) {
    switch (event.type) {
      case ResourceRequested.detailType:
        submitted ??= event.detail;
        break;
      case RequestAccepted.detailType:
        accepted = event.detail.request;
        break;
      case RequestInvalid.detailType:
        requesterEmail ??= event.detail.requesterEmail;
        fieldErrors = event.detail.errors;
        break;
      case ApprovalRequested.detailType:
        // Each stage asks its own approvers, and so does each extension's round: everyone asked in any
        // of them may read the request. The deadline shown is the request's own.
        view.approvers = [...new Set([...(view.approvers ?? []), ...event.detail.approvers])];
        if (event.detail.extension === undefined) view.expiresAt = event.detail.expiresAt;
        break;
      case RequestApproved.detailType:
      case RequestRejected.detailType: {
        const { request, approver, reason, decidedAt } = event.detail;
        accepted = request;
        if (!decisions.has(event.type)) {
          const outcome = event.type === RequestApproved.detailType ? "APPROVED" : "REJECTED";
          decisions.set(event.type, { outcome, approver, reason, decidedAt });
        }
        break;
      }
      case RequestCancelled.detailType: {
        const { request, cancelledBy, reason, cancelledAt } = event.detail;
        accepted = request;
        if (!decisions.has(event.type)) {
          decisions.set(event.type, {
            outcome: "CANCELLED",
            approver: cancelledBy,
            reason,
            decidedAt: cancelledAt,
          });
        }
        break;
      }
      case RequestExpired.detailType:
        accepted = event.detail.request;
        view.expiresAt = event.detail.expiresAt;
        if (!decisions.has(event.type)) {
          decisions.set(event.type, { outcome: "EXPIRED", decidedAt: event.detail.expiredAt });
        }
        break;
      case ProvisioningStarted.detailType:
        accepted = event.detail.request;
        view.instanceId = event.detail.instanceId ?? view.instanceId;
        view.dbInstanceIdentifier = event.detail.dbInstanceIdentifier ?? view.dbInstanceIdentifier;
        break;
      case ResourceProvisioned.detailType:
        accepted = event.detail.request;
        view.instanceId = event.detail.instanceId ?? view.instanceId;
        view.privateIp = event.detail.privateIp ?? view.privateIp;
        view.database = event.detail.database;
        view.dbInstanceIdentifier = event.detail.database?.identifier ?? view.dbInstanceIdentifier;
        view.bucket = event.detail.bucket;
        view.provisionedAt = event.detail.provisionedAt;
        break;
      case ProvisioningFailed.detailType:
        accepted = event.detail.request;
        view.instanceId = event.detail.instanceId ?? view.instanceId;
        view.dbInstanceIdentifier = event.detail.dbInstanceIdentifier ?? view.dbInstanceIdentifier;
        view.failureReason = event.detail.reason;
        break;
      case RequesterNotified.detailType:
        requesterEmail ??= event.detail.requesterEmail;
        break;
    }
  }

  const release = releaseOf(timeline);
  const status = release
    ? releaseStatusOf(release)
    : statusOf(timeline.filter(countsForStatus).map((entry) => entry.type));
  const approval = approvalOf(timeline);
  const lease = leaseOf(timeline);
  // Once released, the lease ended then, whatever end it was planned to have (lease.endsAt).
  const leaseEndsAt = release ? releaseEndedAt(release) : lease?.endsAt;
  const request = accepted ?? submitted;
  const requester =
    request?.requester ?? (requesterEmail === undefined ? undefined : { email: requesterEmail });
  return {
    requestId,
    status,
    requester,
    resource: request?.resource,
    justification: request?.justification,
    region: request?.region,
    // Only an accepted request carries an estimate: intake works it out when it accepts one.
    estimatedMonthlyCostUsd: accepted?.estimatedMonthlyCostUsd,
    costEstimate: accepted?.costEstimate,
    submittedAt: first.time,
    updatedAt: last.time,
    // The decision shown is the one the status reflects, e.g. an approval over a late expiry.
    decision: STATUS_BY_PRECEDENCE.map(([contract]) => decisions.get(contract.detailType)).find(Boolean),
    // On timelines from before refusals had ids of their own, a refusal of another submission that
    // reused an accepted request's id stays on the timeline only.
    fieldErrors: status === "INVALID" ? fieldErrors : undefined,
    ...view,
    ...(approval && { approval }),
    ...(lease && { lease }),
    ...(leaseEndsAt !== undefined && { leaseEndsAt }),
  };
};

const HOUR_MS = 3_600_000;

/**
 * What the request's resource has cost so far, worked out as it is read: the hours from its provisioning
 * to its release (or to `now` while it runs, a release failed or asked for included) at its estimate's
 * prices. Undefined before provisioning, and for a request without an estimate.
 */
export const costSoFarOf = (
  { provisionedAt, lease, costEstimate }: Pick<RequestView, "provisionedAt" | "lease" | "costEstimate">,
  now: Date,
): CostSoFar | undefined => {
  if (provisionedAt === undefined || costEstimate === undefined) return undefined;
  const until =
    lease?.release?.releasedAt === undefined ? now.getTime() : Date.parse(lease.release.releasedAt);
  const hours = Math.max(0, until - Date.parse(provisionedAt)) / HOUR_MS;
  return {
    hours: Math.round(hours * 100) / 100,
    usd: costSoFar(costEstimate, hours),
    asOf: now.toISOString(),
  };
};

/**
 * Which requests a caller may read: an operator every request; anyone else their own (by requester
 * email, whatever its case), and an approver also those they are asked to decide.
 */
export type ReadAccess =
  | { kind: "everything" }
  | { kind: "own"; email: string }
  | { kind: "own-and-asked"; email: string };

export const readAccessOf = ({ email, groups }: Pick<Identity, "email" | "groups">): ReadAccess => {
  if (groups.includes("operators")) return { kind: "everything" };
  const key = emailKeyOf(email);
  return groups.includes("approvers") ? { kind: "own-and-asked", email: key } : { kind: "own", email: key };
};

/** Addresses are compared whatever their case, as mail systems deliver them. */
export const emailKeyOf = (email: string): string => email.toLowerCase();

export const mayRead = (access: ReadAccess, { requester, approvers = [] }: RequestView): boolean => {
  if (access.kind === "everything") return true;
  if (requester !== undefined && emailKeyOf(requester.email) === access.email) return true;
  return (
    access.kind === "own-and-asked" && approvers.some((approver) => emailKeyOf(approver) === access.email)
  );
};

/**
 * The extension of the request's lease whose round of approval waits for `email` (whatever its case),
 * as the approver is asked about it: from its end now until when, and why.
 */
export const extensionAwaiting = ({ lease }: Pick<RequestView, "lease">, email: string) => {
  const extension = lease?.extensions.find((candidate) =>
    awaitedForExtensionOf(candidate).some((awaited) => emailKeyOf(awaited) === emailKeyOf(email)),
  );
  return (
    extension && {
      n: extension.n,
      from: extension.from,
      until: extension.until,
      justification: extension.justification,
      ...(extension.expiresAt !== undefined && { expiresAt: extension.expiresAt }),
    }
  );
};
