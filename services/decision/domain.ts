import type { ApprovalRequested } from "../../events/approval-requested.ts";
import type { DetailInputOf, DetailOf } from "../../events/contract.ts";
import type { AcceptedRequest } from "../../events/request.ts";
import { reasonSchema } from "../../events/request.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { RequestRejected } from "../../events/request-rejected.ts";
import { canonicalEmail } from "../shared/canonical-email.ts";
import type { DecisionAction, TokenClaims, TokenProblem } from "../shared/decision-token.ts";
import { OUTCOME_PUBLISH_GRACE_MS } from "../shared/leases.ts";

export type SweepTask = "EXPIRE" | "PUBLISH";

/**
 * One link an approver may decide with, as a string: a DynamoDB string set of these merges with ADD,
 * whatever order the ApprovalRequested events announcing them arrive in. The action and the hash
 * hold no ':', so no two grants share a key.
 */
export const grantKey = (approver: string, action: DecisionAction, tokenHash: string): string =>
  `${action}:${tokenHash}:${approver}`;

/** The grants of the link hashes an ApprovalRequested announces. */
export const grantsOf = (linkHashes: DetailOf<typeof ApprovalRequested>["linkHashes"]): Set<string> =>
  new Set(
    Object.entries(linkHashes).flatMap(([approver, hashes]) => [
      ...hashes.approve.map((hash) => grantKey(approver, "approve", hash)),
      ...hashes.reject.map((hash) => grantKey(approver, "reject", hash)),
    ]),
  );

export interface Decision {
  action: DecisionAction;
  approver: string;
  /** The identity provider's id of an approver who decided signed in. */
  approverSubject?: string;
  reason?: string;
  decidedAt: string;
}

/**
 * Whoever decides: the email their link was sent to or their access token names, and the identity
 * provider's id of them when they are signed in.
 */
export interface Decider {
  email: string;
  subject?: string;
}

/** An approver as a verified access token names them. */
export interface SignedInApprover extends Decider {
  subject: string;
}

interface RecordBase {
  requestId: string;
  createdAt: string;
  /** Work the sweeper still has to do for this item, due at `sweepAt`; absent once there is none. */
  sweepTask?: SweepTask;
  sweepAt?: string;
  outcomePublishedAt?: string;
}

/** A request approval-mail asked approvers about (its ApprovalRequested arrived). */
export interface AskedApproval extends RecordBase {
  status: "PENDING" | "DECIDED" | "EXPIRED";
  request: AcceptedRequest;
  /**
   * The requester as the decision's condition refuses them (see `isRequester`): lower-case, all an
   * approval stored before the other two were kept holds.
   */
  requesterEmail: string;
  /** `canonicalEmail` of the requester's email; absent on approvals stored before it was kept. */
  requesterCanonicalEmail?: string;
  /** The identity provider's id of the requester, when they asked signed in. */
  requesterSubject?: string;
  approvers: string[];
  /** Every link that may decide, as `grantKey`s: only hashes, never a token. */
  grants: Set<string>;
  expiresAt: string;
  decision?: Decision;
  expiredAt?: string;
  /**
   * An early decision by one of the approvers whose link no ApprovalRequested has announced yet: a
   * retried mailing's fresh link, whose own announcement is still on its way. It stands once a later
   * ApprovalRequested announces it, while the approval is still pending; the deadline ends the wait.
   */
  awaitingDecision?: EarlyDecision["decision"];
  /** An early decision that could never stand: the requester's own, or one made at the deadline. */
  voidedDecision?: EarlyDecision["decision"];
}

/**
 * A decision made with a link whose MAC checked out before the request's ApprovalRequested reached
 * decision. It stands once that event arrives and lists the link's hash for that approver and action.
 */
export interface EarlyDecision extends RecordBase {
  status: "DECIDED_EARLY";
  decision: Decision & { tokenHash: string };
  /** The link's own expiry. */
  expiresAt: string;
}

export type ApprovalRecord = AskedApproval | EarlyDecision;

/**
 * When the sweeper publishes the outcome of an item settled `now` unless its writer has by then: after
 * the grace a writer still publishing could need, so the sweeper does not publish it a second time.
 */
export const publishDueAt = (now: Date): Date => new Date(now.getTime() + OUTCOME_PUBLISH_GRACE_MS);

/** The approval an ApprovalRequested opens: pending, with the sweeper due to expire it at its deadline. */
export const askedApprovalOf = (requested: DetailOf<typeof ApprovalRequested>): AskedApproval => ({
  requestId: requested.requestId,
  request: requested.request,
  requesterEmail: requested.request.requester.email.toLowerCase(),
  requesterCanonicalEmail: canonicalEmail(requested.request.requester.email),
  requesterSubject: requested.request.requester.subject,
  createdAt: requested.requestedAt,
  status: "PENDING",
  // Lower-case, so a signed-in decision's condition finds the approver whatever the token's case.
  approvers: requested.approvers.map((approver) => approver.toLowerCase()),
  grants: grantsOf(requested.linkHashes),
  expiresAt: requested.expiresAt,
  sweepTask: "EXPIRE",
  sweepAt: requested.expiresAt,
});

/**
 * Whether `decider` is the approval's requester, by identity rather than by how an address is typed:
 * the same subject, or the same mailbox by `canonicalEmail` (case, plus-addressing, Gmail's dots). An
 * approval stored before those were kept is judged by its lower-cased email. The store's conditional
 * writes refuse exactly these (`notTheRequester`, store.ts), so a judgement never disagrees with a write.
 */
export const isRequester = (approval: AskedApproval, { email, subject }: Decider): boolean =>
  approval.requesterEmail === email.toLowerCase() ||
  approval.requesterCanonicalEmail === canonicalEmail(email) ||
  (subject !== undefined && approval.requesterSubject === subject);

/**
 * What an early decision becomes once an ApprovalRequested arrives. It stands when approval-mail
 * announced its link for that approver and action, the approver is not the requester and it was made
 * before the deadline: the approval is then decided and owes its outcome to the bus (the sweeper's
 * PUBLISH task covers a lost publish). An approver's link this event does not announce waits for the
 * one that does (`awaitingDecision`); the requester's decision, or one at the deadline, is void. Either
 * way the approval is pending meanwhile, as if no decision had been made.
 */
export const settleEarlyDecision = (
  early: EarlyDecision,
  requested: DetailOf<typeof ApprovalRequested>,
  now: Date,
): AskedApproval => {
  const asked = askedApprovalOf(requested);
  const { tokenHash, ...decision } = early.decision;
  const mayStand =
    !isRequester(asked, { email: decision.approver, subject: decision.approverSubject }) &&
    Date.parse(decision.decidedAt) < Date.parse(asked.expiresAt);
  if (!mayStand) return { ...asked, voidedDecision: early.decision };
  if (!asked.grants.has(grantKey(decision.approver, decision.action, tokenHash))) {
    return asked.approvers.includes(decision.approver)
      ? { ...asked, awaitingDecision: early.decision }
      : { ...asked, voidedDecision: early.decision };
  }
  return {
    ...asked,
    status: "DECIDED",
    decision,
    sweepTask: "PUBLISH",
    sweepAt: publishDueAt(now).toISOString(),
  };
};

/** The decision that waited for its link to be announced, once an approval's grants announce it. */
export const confirmedAwaitingDecision = (approval: AskedApproval): EarlyDecision["decision"] | undefined => {
  const awaiting = approval.awaitingDecision;
  return approval.status === "PENDING" &&
    awaiting &&
    approval.grants.has(grantKey(awaiting.approver, awaiting.action, awaiting.tokenHash))
    ? awaiting
    : undefined;
};

/** Why a link cannot decide, as the page tells the approver. */
export interface Refusal {
  status: 400 | 403 | 404 | 409 | 410;
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
  `It was ${ACTION_PAST[decision.action]} by ${decision.approver}.`;

/**
 * Absent `approval`: the request's ApprovalRequested has not arrived yet, and the link's MAC alone
 * vouches for it (only approval-mail signs links); the page shows what the link itself says.
 */
export type Judgement =
  | { decidable: true; approval?: AskedApproval }
  | { decidable: false; refusal: Refusal };

const refused = (refusal: Refusal): Judgement => ({ decidable: false, refusal });

const alreadyDecided = (decision: Decision): Judgement =>
  refused({
    status: 410,
    title: "This request has already been decided",
    message: `${describeDecision(decision)} Each request is decided once.`,
  });

/**
 * Whether a token whose signature checked out may decide the request as it is stored now. The link
 * must be one that was sent (its hash is stored for that approver and action) before anything about
 * the request is revealed. `approverSubject` is the signed-in user's when the link is used signed in.
 */
export const judgeDecision = (
  record: ApprovalRecord | undefined,
  claims: TokenClaims,
  tokenHash: string,
  now: Date,
  approverSubject?: string,
): Judgement => {
  if (!record) return { decidable: true };
  if (record.status === "DECIDED_EARLY") return alreadyDecided(record.decision);
  if (!record.grants.has(grantKey(claims.approver, claims.action, tokenHash))) return refused(INVALID_LINK);
  if (isRequester(record, { email: claims.approver, subject: approverSubject })) return refused(OWN_REQUEST);
  return judgeOpenness(record, now);
};

const OWN_REQUEST: Refusal = {
  status: 403,
  title: "You cannot decide your own request",
  message: "Another approver has to decide it.",
};

/** Whether an approval may still be decided at all: neither decided nor past its deadline. */
const judgeOpenness = (record: AskedApproval, now: Date): Judgement => {
  if (record.status === "DECIDED" && record.decision) return alreadyDecided(record.decision);
  if (record.status === "EXPIRED" || Date.parse(record.expiresAt) <= now.getTime()) {
    return refused(refusalForToken("expired"));
  }
  return { decidable: true, approval: record };
};

/** For a request this approver was not asked about: the same answer as for one that does not exist. */
export const NOT_ASKED: Refusal = {
  status: 404,
  title: "No request awaits your decision here",
  message: "It may not exist, or you are not among its approvers.",
};

/**
 * Whether a signed-in approver may decide the request as it is stored now: only one approval-mail
 * asked them about (by email, whatever its case), never the requester (`isRequester`). A request whose
 * ApprovalRequested has not arrived is not theirs to decide yet: without a link, nothing vouches for
 * them before it does.
 */
export const judgeSignedInDecision = (
  record: ApprovalRecord | undefined,
  approver: SignedInApprover,
  now: Date,
): Judgement => {
  if (!record || record.status === "DECIDED_EARLY") return refused(NOT_ASKED);
  if (isRequester(record, approver)) return refused(OWN_REQUEST);
  if (!record.approvers.includes(approver.email.toLowerCase())) return refused(NOT_ASKED);
  return judgeOpenness(record, now);
};

/**
 * Refuses an approver the deployment no longer lists (`APPROVERS`), however valid their link or
 * token: removing someone stops every way they had to decide.
 */
export const refusalUnlessStillApprover = (
  approver: string,
  currentApprovers: readonly string[],
): Refusal | undefined =>
  currentApprovers.includes(approver.toLowerCase())
    ? undefined
    : {
        status: 403,
        title: "You are no longer an approver",
        message: `${approver} is not among this deployment's approvers any more, so nothing was decided. Another approver has to decide the request.`,
      };

/** The answer when the conditional write failed although the stored item looked decidable. */
export const CONCURRENT_CHANGE: Refusal = {
  status: 409,
  title: "The request changed while you were deciding",
  message: "Open the link from the approval email again to see where it stands.",
};

export type ReasonCheck = { valid: true; reason: string | undefined } | { valid: false; error: string };

/**
 * A rejection must say why (the requester is told); an approval may. Either is judged by the rule the
 * decision events hold it to. A form sends its textarea's line breaks as CRLF: they are kept as the
 * newlines they were typed as, and any other control character is refused.
 */
export const checkReason = (action: DecisionAction, raw: string): ReasonCheck => {
  const parsed = reasonSchema.safeParse(raw.replaceAll("\r\n", "\n"));
  if (!parsed.success) return { valid: false, error: `The reason ${parsed.error.issues[0]?.message}.` };
  const reason = parsed.data;
  if (action === "reject" && reason.length === 0) {
    return { valid: false, error: "Say why you reject the request; the requester will read it." };
  }
  return { valid: true, reason: reason || undefined };
};

/** The event a settled item owes the bus, derived from its state. */
export type Outcome =
  | { contract: typeof RequestApproved; detail: DetailInputOf<typeof RequestApproved> }
  | { contract: typeof RequestRejected; detail: DetailInputOf<typeof RequestRejected> }
  | { contract: typeof RequestExpired; detail: DetailInputOf<typeof RequestExpired> };

export const outcomeOf = (record: ApprovalRecord): Outcome | undefined => {
  if (record.status === "DECIDED_EARLY") return undefined;
  const { requestId, request } = record;
  if (record.status === "EXPIRED" && record.expiredAt) {
    return {
      contract: RequestExpired,
      detail: { requestId, request, expiresAt: record.expiresAt, expiredAt: record.expiredAt },
    };
  }
  if (record.status === "DECIDED" && record.decision) {
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
