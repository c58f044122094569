import { RequestCancelled } from "../../events/request-cancelled.ts";
import type { RequestStatus } from "../../events/request-status.ts";
import { isRequesterOf } from "../shared/requester.ts";
import {
  type AskedApproval,
  type Decider,
  type EarlyWithdrawal,
  publishDueAt,
  type Withdrawal,
} from "./domain.ts";
import { owed } from "./outbox.ts";
import { type ApprovalStore, openAt } from "./store.ts";
import { applied, approvalsOf, type Transition } from "./transitions.ts";

/**
 * Withdrawal: the requester takes back a request that still waits for approval. The approval becomes
 * CANCELLED in one conditional write (pending, before its deadline, as read) that owes
 * RequestCancelled, so a withdrawal and a vote racing each other never both win. A withdrawal that
 * arrives before the request's RequestAccepted reached decision is kept (`EarlyWithdrawal`) and
 * cancels the request the moment it arrives, before any approver is asked.
 */

/** A pending approval withdrawn by its requester: its links and votes stop counting. */
export const cancelTransition = (approval: AskedApproval, withdrawal: Withdrawal): Transition => ({
  set: { status: "CANCELLED", withdrawal },
  // A decision waiting for its link's announcement would otherwise stand once the link arrives.
  ...(approval.awaitingDecision && { remove: ["awaitingDecision"] }),
  events: [
    owed(RequestCancelled, {
      requestId: approval.requestId,
      request: approval.request,
      cancelledBy: withdrawal.email,
      reason: withdrawal.reason,
      policy: approval.policy,
      approvals: approval.votes.length > 0 ? approvalsOf(approval.votes) : undefined,
      cancelledAt: withdrawal.withdrawnAt,
    }),
  ],
});

/** The status a settled approval gives its request, as the API names it (REQUEST_STATUSES). */
export const requestStatusOf = (approval: AskedApproval, now: Date): RequestStatus => {
  // Only an approved request's lease is extended: its rounds are never the request's to withdraw.
  if (approval.extension) return "APPROVED";
  if (approval.status === "DECIDED") return approval.decision?.action === "reject" ? "REJECTED" : "APPROVED";
  if (approval.status === "CANCELLED") return "CANCELLED";
  if (approval.status === "EXPIRED" || Date.parse(approval.expiresAt) <= now.getTime()) return "EXPIRED";
  return "PENDING_APPROVAL";
};

export type WithdrawResult =
  /** Cancelled now: the approval written and the outbox keys of what it owes. */
  | { outcome: "cancelled"; approval: AskedApproval; keys: string[] }
  /** Kept until the request reaches decision, which cancels it then if the caller is its requester. */
  | { outcome: "kept" }
  /** Not the caller's request to withdraw, or one decision knows nothing of the requester of. */
  | { outcome: "notFound" }
  /** No longer pending: decided, expired or already withdrawn. */
  | { outcome: "settled"; status: RequestStatus }
  | { outcome: "contended" };

/** Each loss is another write to the approval (a vote, a merge of links): as many as a vote allows. */
const ATTEMPTS = 12;

/** Withdraws `requestId` for `caller`, the signed-in user, if it is theirs and still pending. */
export const withdraw = async (
  store: ApprovalStore,
  { requestId, caller, reason, now }: { requestId: string; caller: Decider; reason?: string; now: Date },
): Promise<WithdrawResult> => {
  const withdrawal: Withdrawal = {
    email: caller.email,
    ...(caller.subject !== undefined && { subject: caller.subject }),
    ...(reason !== undefined && { reason }),
    withdrawnAt: now.toISOString(),
  };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const record = await store.get(requestId);
    if (!record || record.status === "WITHDRAWN_EARLY") {
      if (await store.keepEarlyWithdrawal(requestId, withdrawal)) return { outcome: "kept" };
      continue;
    }
    // A link's decision made before its request was known: nothing here says whose request it is.
    if (record.status === "DECIDED_EARLY") return { outcome: "notFound" };
    if (!isRequesterOf(record.request, caller)) return { outcome: "notFound" };
    const status = requestStatusOf(record, now);
    if (status !== "PENDING_APPROVAL") return { outcome: "settled", status };
    const written = await store.apply(record, cancelTransition(record, withdrawal), now, openAt(now));
    if (written) return { outcome: "cancelled", ...written };
  }
  return { outcome: "contended" };
};

/**
 * What RequestAccepted writes over early withdrawals instead of the approval its policy opened
 * (`opened`, not yet written): cancelled at once when one of them is the requester's, owing only
 * RequestCancelled (no policy applied, no approver asked); otherwise `opened` as it is, the others'
 * withdrawals dropped.
 */
export const settleEarlyWithdrawals = (
  opened: AskedApproval,
  early: EarlyWithdrawal,
  now: Date,
): { approval: AskedApproval; cancelled: boolean } => {
  const mine = early.withdrawals.find((withdrawal) => isRequesterOf(opened.request, withdrawal));
  if (!mine) return { approval: opened, cancelled: false };
  const { decision: _decided, policy: _policy, plan: _plan, ...asked } = opened;
  const pending: AskedApproval = { ...asked, status: "PENDING", outbox: {}, eventSeq: 0 };
  const sweep = { sweepTask: "PUBLISH" as const, sweepAt: publishDueAt(now).toISOString() };
  return { approval: applied(pending, cancelTransition(pending, mine), sweep), cancelled: true };
};

/**
 * Writes the approval RequestAccepted opened, or, over early withdrawals kept for its request, what
 * `settleEarlyWithdrawals` makes of them. Resolves to what was written, or undefined when the
 * request's approval exists already (a second delivery). A withdrawal kept meanwhile makes it read again.
 */
export const openApproval = async (
  store: ApprovalStore,
  opened: AskedApproval,
  now: Date,
): Promise<{ approval: AskedApproval; cancelled: boolean } | undefined> => {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await store.createIfAbsent(opened)) return { approval: opened, cancelled: false };
    const existing = await store.get(opened.requestId);
    if (!existing) continue;
    if (existing.status !== "WITHDRAWN_EARLY") return undefined;
    const settled = settleEarlyWithdrawals(opened, existing, now);
    if (await store.replaceEarlyWithdrawal(existing, settled.approval)) return settled;
  }
  throw new EarlyWithdrawalContendedError(`The early withdrawals of ${opened.requestId} kept changing`);
};

export class EarlyWithdrawalContendedError extends Error {
  override name = "EarlyWithdrawalContendedError";
}
