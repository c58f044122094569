import { ApprovalRequested } from "../../events/approval-requested.ts";
import type { DetailInputOf } from "../../events/contract.ts";
import type { AcceptedRequest } from "../../events/request.ts";
import { REASON_MAX_LENGTH } from "../../events/request.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { RequestRejected } from "../../events/request-rejected.ts";
import { OUTCOME_PUBLISH_GRACE_MS } from "../shared/leases.ts";
import type { DecisionAction, TokenClaims, TokenProblem } from "./token.ts";

/** The decision pages' paths: the links in the emails and the routes that serve them. */
export const DECISION_PATHS: Record<DecisionAction, string> = {
  approve: "/decisions/approve",
  reject: "/decisions/reject",
};

export const decisionLink = (publicUrl: string, action: DecisionAction, token: string): string =>
  `${publicUrl}${DECISION_PATHS[action]}?token=${encodeURIComponent(token)}`;

export type SweepTask = "EXPIRE" | "PUBLISH";

/** The hashes of the links sent to one approver: more than one each if a mail had to be sent again. */
export interface ApproverGrant {
  approve: string[];
  reject: string[];
  mailSentAt?: string;
  messageId?: string;
}

export interface Decision {
  action: DecisionAction;
  /** Absent when policy refused the request before anyone was asked. */
  approver?: string;
  reason?: string;
  decidedAt: string;
}

interface RecordBase {
  requestId: string;
  request: AcceptedRequest;
  /** Lower-case, so the decision's condition can refuse self-approval. */
  requesterEmail: string;
  createdAt: string;
  /** Work the sweeper still has to do for this item, due at `sweepAt`; absent once there is none. */
  sweepTask?: SweepTask;
  sweepAt?: string;
  outcomePublishedAt?: string;
}

/** A request approvers were asked about. */
export interface AskedApproval extends RecordBase {
  status: "PENDING" | "DECIDED" | "EXPIRED";
  approvers: string[];
  grants: Record<string, ApproverGrant>;
  expiresAt: string;
  mailClaimId?: string;
  mailClaimedAt?: string;
  approvalRequestedAt?: string;
  decision?: Decision;
  expiredAt?: string;
}

/** A request refused before anyone was asked: no approver other than the requester. */
export interface RefusedRequest extends RecordBase {
  status: "REFUSED";
  decision: Decision;
}

export type ApprovalRecord = AskedApproval | RefusedRequest;

/**
 * When the sweeper publishes the outcome of an item settled `now` unless its writer has by then: after
 * the grace a writer still publishing could need, so the sweeper does not publish it a second time.
 */
export const publishDueAt = (now: Date): Date => new Date(now.getTime() + OUTCOME_PUBLISH_GRACE_MS);

/** Why a link cannot decide, as the page tells the approver. */
export interface Refusal {
  status: 400 | 403 | 409 | 410;
  title: string;
  message: string;
}

const INVALID_LINK: Refusal = {
  status: 403,
  title: "This link is not valid",
  message:
    "It may have been changed or copied incompletely. Open the link from the approval email again, without editing it.",
};

export const refusalForToken = (problem: TokenProblem): Refusal =>
  problem === "expired"
    ? {
        status: 410,
        title: "This link has expired",
        message: "The request was not decided before its deadline. The requester has been told it expired.",
      }
    : INVALID_LINK;

export const MISSING_TOKEN: Refusal = {
  status: 400,
  title: "This link is incomplete",
  message: "The link has no token. Open the link from the approval email again.",
};

const ACTION_PAST: Record<DecisionAction, string> = { approve: "approved", reject: "rejected" };

export const describeDecision = (decision: Decision): string =>
  `It was ${ACTION_PAST[decision.action]}${decision.approver ? ` by ${decision.approver}` : ""}.`;

export type Judgement = { decidable: true; approval: AskedApproval } | { decidable: false; refusal: Refusal };

const refused = (refusal: Refusal): Judgement => ({ decidable: false, refusal });

/**
 * Whether a token whose signature checked out may decide the request as it is stored now. The link
 * must be one that was sent (its hash is stored for that approver and action) before anything about
 * the request is revealed.
 */
export const judgeDecision = (
  record: ApprovalRecord | undefined,
  claims: TokenClaims,
  tokenHash: string,
  now: Date,
): Judgement => {
  if (!record || record.status === "REFUSED") return refused(INVALID_LINK);
  const grant = record.grants[claims.approver];
  if (!grant?.[claims.action].includes(tokenHash)) return refused(INVALID_LINK);
  if (record.requesterEmail === claims.approver) {
    return refused({
      status: 403,
      title: "You cannot decide your own request",
      message: "Another approver has to decide it.",
    });
  }
  if (record.status === "DECIDED" && record.decision) {
    return refused({
      status: 410,
      title: "This request has already been decided",
      message: `${describeDecision(record.decision)} Each request is decided once.`,
    });
  }
  if (record.status === "EXPIRED" || Date.parse(record.expiresAt) <= now.getTime()) {
    return refused(refusalForToken("expired"));
  }
  return { decidable: true, approval: record };
};

/** The answer when the conditional write failed although the stored item looked decidable. */
export const CONCURRENT_CHANGE: Refusal = {
  status: 409,
  title: "The request changed while you were deciding",
  message: "Open the link from the approval email again to see where it stands.",
};

export type ReasonCheck = { valid: true; reason: string | undefined } | { valid: false; error: string };

/** A rejection must say why (the requester is told); an approval may. */
export const checkReason = (action: DecisionAction, raw: string): ReasonCheck => {
  const reason = raw.trim();
  if (reason.length > REASON_MAX_LENGTH) {
    return { valid: false, error: `The reason must be at most ${REASON_MAX_LENGTH} characters.` };
  }
  if (action === "reject" && reason.length === 0) {
    return { valid: false, error: "Say why you reject the request; the requester will read it." };
  }
  return { valid: true, reason: reason || undefined };
};

/** The event a settled item owes the bus, derived from its state. */
export type Outcome =
  | { contract: typeof RequestApproved; detail: DetailInputOf<typeof RequestApproved>; source?: undefined }
  | { contract: typeof RequestRejected; detail: DetailInputOf<typeof RequestRejected>; source?: string }
  | { contract: typeof RequestExpired; detail: DetailInputOf<typeof RequestExpired>; source?: undefined };

export const outcomeOf = (record: ApprovalRecord): Outcome | undefined => {
  const { requestId, request } = record;
  if (record.status === "REFUSED") {
    // Policy refused it in approval-mail, before the decision service had any part in it.
    return {
      contract: RequestRejected,
      source: ApprovalRequested.source,
      detail: {
        requestId,
        request,
        reason: record.decision.reason ?? "",
        decidedAt: record.decision.decidedAt,
      },
    };
  }
  if (record.status === "EXPIRED" && record.expiredAt) {
    return {
      contract: RequestExpired,
      detail: { requestId, request, expiresAt: record.expiresAt, expiredAt: record.expiredAt },
    };
  }
  if (record.status === "DECIDED" && record.decision?.approver) {
    const { action, approver, reason, decidedAt } = record.decision;
    return action === "approve"
      ? { contract: RequestApproved, detail: { requestId, request, approver, reason, decidedAt } }
      : {
          contract: RequestRejected,
          detail: { requestId, request, approver, reason: reason ?? "", decidedAt },
        };
  }
  return undefined;
};
