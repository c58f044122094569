import type { ApprovalRequested } from "../../events/approval-requested.ts";
import type { DetailOf } from "../../events/contract.ts";
import {
  type AskedApproval,
  askedApprovalOf,
  type EarlyDecision,
  grantKey,
  isRequester,
  publishDueAt,
} from "./domain.ts";
import { applied, approveTransition, rejectTransition } from "./transitions.ts";

/**
 * What an early decision becomes once an ApprovalRequested arrives. It stands when approval-mail
 * announced its link for that approver and action, the approver is not the requester and it was made
 * before the deadline: it is then counted as the approval's vote (its one stage decides at the first
 * answer) and the approval owes its events (the sweeper's PUBLISH task covers a lost publish). An
 * approver's link this event does not announce waits for the one that does (`awaitingDecision`); the
 * requester's decision, or one at the deadline, is void. Either way the approval is pending meanwhile,
 * as if no decision had been made.
 */
export const settleEarlyDecision = (
  early: EarlyDecision,
  requested: DetailOf<typeof ApprovalRequested>,
  now: Date,
): AskedApproval => {
  const asked = askedApprovalOf(requested);
  const { tokenHash, ...decision } = early.decision;
  const decider = { email: decision.approver, subject: decision.approverSubject };
  const mayStand =
    !isRequester(asked, decider) && Date.parse(decision.decidedAt) < Date.parse(asked.expiresAt);
  if (!mayStand) return { ...asked, voidedDecision: early.decision };
  if (!asked.grants?.has(grantKey(decision.approver, decision.action, tokenHash))) {
    return asked.approvers.includes(decision.approver)
      ? { ...asked, awaitingDecision: early.decision }
      : { ...asked, voidedDecision: early.decision };
  }
  const decidedAt = new Date(decision.decidedAt);
  const transition =
    decision.action === "approve"
      ? approveTransition(asked, decider, decision.reason, decidedAt)
      : rejectTransition(asked, decider, decision.reason ?? "", decidedAt);
  return applied(asked, transition, { sweepTask: "PUBLISH", sweepAt: publishDueAt(now).toISOString() });
};

/** The decision that waited for its link to be announced, once an approval's grants announce it. */
export const confirmedAwaitingDecision = (approval: AskedApproval): EarlyDecision["decision"] | undefined => {
  const awaiting = approval.awaitingDecision;
  return approval.status === "PENDING" &&
    awaiting &&
    approval.grants?.has(grantKey(awaiting.approver, awaiting.action, awaiting.tokenHash))
    ? awaiting
    : undefined;
};
