import type { z } from "zod";
import type { ApprovalRequested } from "../../events/approval-requested.ts";
import type { DetailOf } from "../../events/contract.ts";
import type { extensionRefSchema, LeaseTerms } from "../../events/lease.ts";
import type { AcceptedRequest } from "../../events/request.ts";
import { reasonSchema } from "../../events/request.ts";
import type { PolicyOutcome } from "../../policy/index.ts";
import { canonicalEmail } from "../shared/canonical-email.ts";
import type { DecisionAction, TokenClaims, TokenProblem } from "../shared/decision-token.ts";
import { OUTCOME_PUBLISH_GRACE_MS } from "../shared/leases.ts";
import type { OwedEntry } from "./outbox.ts";
import type { PlannedStage, PolicyRef, StageRef, Vote } from "./stages.ts";

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
  /** The approver's email, or `policy:<name>` when the policy decided. */
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

/**
 * A request's approval: opened by its policy when the request is accepted (or, for one asked before
 * policies, by its ApprovalRequested), then moved through its stages by votes.
 *
 * Item layout (one item per request, key `requestId`):
 * - `status`, `decision` (the outcome's decider: the last approver, a rejecting one, or `policy:<name>`),
 *   `expiresAt`/`expiredAt`, and the requester's identity as conditions refuse it;
 * - `policy` and `plan` (the policy's stages as written), `stage` (the current one), `approvers` (asked in
 *   it, lower-case), `quorum` (resolved), `votes` (every counted approval, all stages) and `voters`
 *   (everyone who voted, for the condition "never voted before");
 * - `grants` (the hashes of every link approval-mail announced, merged with ADD);
 * - `outbox` (events owed, keyed by their place in `eventSeq`, see outbox.ts), `sweepTask`/`sweepAt`;
 * - `lease` (the terms the policy settled at acceptance);
 * - `extension` while the approval is a ROUND deciding an extension of the lease (rounds.ts): the
 *   attributes above are then the round's, and `rounds` keeps each round it replaced, the request's
 *   own first, so the request's outcome stays readable (`requestDecisionOf`).
 * Every change is one conditional write on `eventSeq` (transitions.ts), so two concurrent votes never
 * both count against the same state: the loser reads again and counts on top of the winner.
 */
export interface AskedApproval extends RecordBase {
  /** CANCELLED: withdrawn by its requester, or, for a round, closed by the release of the lease's resource. */
  status: "PENDING" | "DECIDED" | "EXPIRED" | "CANCELLED";
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
  /** Who the current stage asks, lower-case. */
  approvers: string[];
  /** Those of `approvers` asked as delegates, each with the approver they stand in for (delegations.ts). */
  delegates?: Record<string, string>;
  /** Every link that may decide, as `grantKey`s: only hashes, never a token; absent until one is announced. */
  grants?: Set<string>;
  expiresAt: string;
  /** The policy that decides the request; absent on approvals asked before policies. */
  policy?: PolicyRef;
  /** The policy's stages; absent when the approval has its one stage only (before policies, or decided at once). */
  plan?: PlannedStage[];
  /** The policy's reminders and escalation, kept as applied (timers.ts); absent when it has neither. */
  timing?: Timing;
  /** The timers already handled (their schedule names), so a timer delivered twice acts once. */
  timersDone?: string[];
  stage: StageRef;
  /** Distinct approvals that complete the current stage. */
  quorum: number;
  votes: Vote[];
  voters: string[];
  outbox: Record<string, OwedEntry>;
  /** How many events the approval has owed so far: the next one's place in its outbox. */
  eventSeq: number;
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
  /** The requester's withdrawal, once they withdrew the request (status CANCELLED). */
  withdrawal?: Withdrawal;
  /** The lease the policy settled when the request was accepted; absent on approvals from before leases. */
  lease?: LeaseTerms;
  /** The extension the approval decides now, as its round's events name it; absent for the request's own. */
  extension?: ExtensionRef;
  /** The rounds this approval moved past, in order: the request's own first, then each extension's. */
  rounds?: PastRound[];
  /** Every extension asked for (its `n`), decided at once or by a round: a second delivery does nothing. */
  extensionsHandled?: number[];
  /** When the lease's resource was released: no extension is judged after it, whatever order events came in. */
  releasedAt?: string;
}

export type ExtensionRef = z.output<typeof extensionRefSchema>;

/** A round as it ended when the next one opened: the request's own (no `extension`) or an extension's. */
export interface PastRound {
  extension?: ExtensionRef;
  status: AskedApproval["status"];
  policy?: PolicyRef;
  decision?: Decision;
  votes: Vote[];
  expiresAt: string;
  expiredAt?: string;
}

/** How the request itself was decided, whichever round the approval is in now. */
export const requestDecisionOf = (approval: AskedApproval): Pick<PastRound, "status" | "decision"> =>
  approval.extension ? (approval.rounds?.[0] ?? { status: "DECIDED" }) : approval;

/** What an approval decides, as its pages say it: the request, or an extension of its lease. */
export const subjectOf = (approval: AskedApproval | undefined): "request" | "extension" =>
  approval?.extension ? "extension" : "request";

/** A requester's withdrawal of their request, as the signed-in user who asked for it. */
export interface Withdrawal {
  email: string;
  subject?: string;
  reason?: string;
  withdrawnAt: string;
}

/**
 * Withdrawals asked for before the request's RequestAccepted reached decision (see withdraw.ts): the
 * request and its requester are not known yet, so each caller's withdrawal is kept, and the one by the
 * requester, if any, cancels the request once it arrives. Nothing else is revealed or decided meanwhile.
 */
export interface EarlyWithdrawal extends RecordBase {
  status: "WITHDRAWN_EARLY";
  withdrawals: Withdrawal[];
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

/** How a policy's stages are reminded of and escalated (durations in milliseconds), as the policy said. */
export type Timing = Pick<Extract<PolicyOutcome, { kind: "stages" }>, "reminders" | "escalation">;

/** The timing an approval keeps of its policy's outcome: nothing when it sets neither. */
export const timingOf = ({ reminders, escalation }: Timing): { timing?: Timing } =>
  reminders || escalation
    ? { timing: { ...(reminders && { reminders }), ...(escalation && { escalation }) } }
    : {};

export type ApprovalRecord = AskedApproval | EarlyDecision | EarlyWithdrawal;

/**
 * When the sweeper publishes the outcome of an item settled `now` unless its writer has by then: after
 * the grace a writer still publishing could need, so the sweeper does not publish it a second time.
 */
export const publishDueAt = (now: Date): Date => new Date(now.getTime() + OUTCOME_PUBLISH_GRACE_MS);

/** The approval an ApprovalRequested opens when no policy opened one: pending, with the sweeper due to expire it at its deadline. */
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
  // Without a policy, the approval is one stage whose first answer decides, as before policies.
  stage: requested.stage ?? { index: 0, name: "approvers", count: 1 },
  quorum: 1,
  votes: [],
  voters: [],
  outbox: {},
  eventSeq: 0,
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
  | {
      decidable: true;
      approval?: AskedApproval;
      /**
       * The link of an approver the current stage asks, whose links approval-mail has not announced
       * yet (its ApprovalRequested is on its way): its MAC alone vouches for it, as for an early
       * decision, and its decision waits on the approval for that announcement (`awaitingDecision`).
       */
      unannounced?: true;
    }
  | { decidable: false; refusal: Refusal };

/** Whether the approval holds none of `approver`'s links yet: no ApprovalRequested announced them. */
const noLinksAnnouncedFor = (approval: AskedApproval, approver: string): boolean =>
  ![...(approval.grants ?? [])].some((grant) => grant.endsWith(`:${approver}`));

const refused = (refusal: Refusal): Judgement => ({ decidable: false, refusal });

const alreadyDecided = (decision: Decision, subject: ReturnType<typeof subjectOf> = "request"): Judgement =>
  refused({
    status: 410,
    title: `This ${subject} has already been decided`,
    message: `${describeDecision(decision)} Each ${subject} is decided once.`,
  });

/**
 * Whether a link's own expiry is the approval's deadline (links carry it in whole seconds): in a round,
 * a link that is not announced yet must be one of the round's, never one of an earlier round's.
 */
const expiresWithApproval = (approval: AskedApproval, claims: TokenClaims): boolean =>
  Math.floor(Date.parse(approval.expiresAt) / 1000) === Math.floor(claims.expiresAt.getTime() / 1000);

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
  // Only a withdrawal waits for the request: no link was sent for it yet that could be this one.
  if (record.status === "WITHDRAWN_EARLY") return refused(INVALID_LINK);
  const granted = record.grants?.has(grantKey(claims.approver, claims.action, tokenHash)) ?? false;
  const unannounced =
    !granted &&
    record.status === "PENDING" &&
    record.approvers.includes(claims.approver) &&
    noLinksAnnouncedFor(record, claims.approver) &&
    (!record.extension || expiresWithApproval(record, claims));
  if (!granted && !unannounced) return refused(INVALID_LINK);
  if (isRequester(record, { email: claims.approver, subject: approverSubject })) return refused(OWN_REQUEST);
  const openness = judgeOpenness(record, now);
  if (!openness.decidable) return openness;
  if (record.voters.includes(claims.approver)) return refused(ALREADY_VOTED);
  if (!record.approvers.includes(claims.approver)) return refused(STAGE_MOVED_ON);
  return unannounced ? { ...openness, unannounced } : openness;
};

const ALREADY_VOTED: Refusal = {
  status: 410,
  title: "You have already approved this request",
  message: "Each approver counts once. The request waits for the other approvers it needs.",
};

/** A link of an earlier stage's approver who did not answer before that stage completed. */
const STAGE_MOVED_ON: Refusal = {
  status: 410,
  title: "Your approval is no longer needed",
  message: "The stage you were asked in is complete; other approvers decide the request now.",
};

const OWN_REQUEST: Refusal = {
  status: 403,
  title: "You cannot decide your own request",
  message: "Another approver has to decide it.",
};

/** Whether an approval may still be decided at all: neither decided nor past its deadline. */
const judgeOpenness = (record: AskedApproval, now: Date): Judgement => {
  if (record.status === "DECIDED" && record.decision)
    return alreadyDecided(record.decision, subjectOf(record));
  if (record.status === "CANCELLED") return refused(record.extension ? RELEASED_FIRST : WITHDRAWN);
  if (record.status === "EXPIRED" || Date.parse(record.expiresAt) <= now.getTime()) {
    return refused(record.extension ? EXTENSION_EXPIRED : REQUEST_EXPIRED);
  }
  return { decidable: true, approval: record };
};

/**
 * An approval past its deadline, in words for wherever it is decided: a link, the portal, a chat message.
 * (An expired link is `refusalForToken`'s.)
 */
const REQUEST_EXPIRED: Refusal = {
  status: 410,
  title: "This request has expired",
  message: "It was not decided before its deadline. The requester has been told it expired.",
};

const EXTENSION_EXPIRED: Refusal = {
  status: 410,
  title: "This extension has expired",
  message: "It was not decided before its deadline, so it was refused. The requester has been told.",
};

/** A request its requester withdrew: no link or vote decides it any more. */
export const WITHDRAWN: Refusal = {
  status: 410,
  title: "This request was withdrawn by its requester",
  message: "Nothing is left to decide: the requester no longer needs it.",
};

/** A round closed because the lease's resource was released before anyone decided it (rounds.ts). */
const RELEASED_FIRST: Refusal = {
  status: 410,
  title: "This extension is no longer needed",
  message: "The resource was released before the extension was decided, so nothing is left to extend.",
};

/** For a request this approver was not asked about: the same answer as for one that does not exist. */
export const NOT_ASKED: Refusal = {
  status: 404,
  title: "No request awaits your decision here",
  message: "It may not exist, or you are not among its approvers.",
};

/**
 * Whether a signed-in approver may decide the request as it is stored now: only one its current stage
 * asks them about (by email, whatever its case) and who has not voted, never the requester (`isRequester`). A request whose
 * ApprovalRequested has not arrived is not theirs to decide yet: without a link, nothing vouches for
 * them before it does.
 */
export const judgeSignedInDecision = (
  record: ApprovalRecord | undefined,
  approver: SignedInApprover,
  now: Date,
): Judgement => {
  if (!record || record.status === "DECIDED_EARLY" || record.status === "WITHDRAWN_EARLY") {
    return refused(NOT_ASKED);
  }
  if (isRequester(record, approver)) return refused(OWN_REQUEST);
  const email = approver.email.toLowerCase();
  const voted = record.voters.includes(email);
  if (!voted && !record.approvers.includes(email)) return refused(NOT_ASKED);
  const openness = judgeOpenness(record, now);
  return openness.decidable && voted ? refused(ALREADY_VOTED) : openness;
};

/**
 * Refuses an approver the current stage's approvers no longer include (the directory asked now),
 * however valid their link or token: removing someone from a group stops every way they had to decide.
 */
export const noLongerApprover = (approver: string): Refusal => ({
  status: 403,
  title: "You are no longer an approver",
  message: `${approver} is not among this request's approvers any more, so nothing was decided. Another approver has to decide the request.`,
});

/** A stage and extension round an approver was asked about (a chat message's button names them). */
export interface AskedAbout {
  /** The stage's index, from 0. */
  stage: number;
  /** The extension round's number; absent for the request's own approval. */
  extension?: number | undefined;
}

const EARLIER_STAGE: Refusal = {
  status: 410,
  title: "This message is about an earlier stage",
  message: "Nothing was decided: the request has moved on since. Other approvers decide it now.",
};

const EARLIER_ROUND: Refusal = {
  status: 410,
  title: "This message is about an earlier round",
  message: "Nothing was decided: the approval it asked about is over, and a later one decides now.",
};

/**
 * Why a vote asked about `asked` may not count on the approval as stored: it is in another extension
 * round or stage, so the click was on an older message and is refused rather than taken for whatever
 * the request waits for now. Early records (nothing asked yet) are left to the judgement, which refuses them.
 */
export const staleAskRefusal = (
  record: ApprovalRecord | undefined,
  asked: AskedAbout,
): Refusal | undefined => {
  if (!record || record.status === "DECIDED_EARLY" || record.status === "WITHDRAWN_EARLY") return undefined;
  if (record.extension?.n !== asked.extension) return EARLIER_ROUND;
  return record.stage.index === asked.stage ? undefined : EARLIER_STAGE;
};

/**
 * The answer when the conditional write failed although the stored item looked decidable; a link's
 * page, the portal and a chat message all show it, so it names none of them.
 */
export const CONCURRENT_CHANGE: Refusal = {
  status: 409,
  title: "The request changed while you were deciding",
  message: "Nothing was decided. Look at the request again to see where it stands before you decide.",
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

/**
 * What a pending approval still waits for, in words; the link page and the API answer an approval
 * that did not decide the request with it.
 */
export const waitingForOf = (approval: AskedApproval): string => {
  const counted = approval.votes.filter((vote) => vote.stage === approval.stage.index).length;
  const missing = approval.quorum - counted;
  return `The ${subjectOf(approval)} now waits for ${missing} more approval${missing === 1 ? "" : "s"} from ${approval.stage.name}.`;
};
