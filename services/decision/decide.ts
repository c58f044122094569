import type { TokenClaims } from "../shared/decision-token.ts";
import {
  type AskedApproval,
  CONCURRENT_CHANGE,
  type EarlyDecision,
  judgeDecision,
  judgeSignedInDecision,
  type Refusal,
} from "./domain.ts";
import type { ApprovalStore, SignedInDecision } from "./store.ts";

export type DecisionResult =
  | { recorded: true; approval: AskedApproval }
  | { recorded: true; early: EarlyDecision }
  | { recorded: false; refusal: Refusal };

/** A write lost to a concurrent one is tried once more against the item as it is now. */
const ATTEMPTS = 2;

/**
 * Records the decision of a link whose MAC checked out, once per request: on the approval, once its
 * ApprovalRequested has arrived; before that, as an early decision the ApprovalRequested handler
 * settles. Every write is conditional on the same item, so of concurrent decisions (and of an early
 * decision racing the approval's creation) exactly one wins, and each loser reads the item again and
 * takes the other path or answers with what won.
 */
export const decide = async (
  store: ApprovalStore,
  {
    claims,
    tokenHash,
    approverSubject,
    reason,
    now,
  }: { claims: TokenClaims; tokenHash: string; approverSubject?: string; reason?: string; now: Date },
): Promise<DecisionResult> => {
  const { requestId, action, approver, expiresAt } = claims;
  const decision = { requestId, action, approver, approverSubject, tokenHash, reason, now };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const approval = await store.recordDecision(decision);
    if (approval) return { recorded: true, approval };
    const current = await store.get(requestId);
    if (!current) {
      const early = await store.recordEarlyDecision({ ...decision, expiresAt });
      if (early) return { recorded: true, early };
      continue;
    }
    const judgement = judgeDecision(current, claims, tokenHash, now, approverSubject);
    if (!judgement.decidable) return { recorded: false, refusal: judgement.refusal };
  }
  return { recorded: false, refusal: CONCURRENT_CHANGE };
};

/**
 * Records a signed-in approver's decision, by the same conditional write as a link's, so the first
 * decision wins whichever way each was made. A write that fails is explained by judging the item as
 * it is now; one that looked decidable lost to a concurrent change and is tried once more.
 */
export const decideSignedIn = async (
  store: ApprovalStore,
  decision: SignedInDecision,
): Promise<{ recorded: true; approval: AskedApproval } | { recorded: false; refusal: Refusal }> => {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const approval = await store.recordSignedInDecision(decision);
    if (approval) return { recorded: true, approval };
    const judgement = judgeSignedInDecision(
      await store.get(decision.requestId),
      decision.approver,
      decision.now,
    );
    if (!judgement.decidable) return { recorded: false, refusal: judgement.refusal };
  }
  return { recorded: false, refusal: CONCURRENT_CHANGE };
};
