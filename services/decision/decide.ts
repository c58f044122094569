import type { DecisionAction, TokenClaims } from "../shared/decision-token.ts";
import type { Directory } from "../shared/directory.ts";
import { type DelegationLookup, withDelegations } from "./delegations.ts";
import {
  type ApprovalRecord,
  type AskedAbout,
  type AskedApproval,
  CONCURRENT_CHANGE,
  type Decider,
  type EarlyDecision,
  type Judgement,
  judgeDecision,
  judgeSignedInDecision,
  noLongerApprover,
  type Refusal,
  type SignedInApprover,
  staleAskRefusal,
} from "./domain.ts";
import { DEFAULT_APPROVERS, isStillApprover, requesterOf, resolveStage } from "./stages.ts";
import { type ApprovalStore, type Condition, linkVoteCondition, signedInVoteCondition } from "./store.ts";
import { stageSpecOf } from "./timers.ts";
import { approveTransition, completesStage, nextStageIndex, rejectTransition } from "./transitions.ts";

export type DecisionResult =
  | { recorded: true; approval: AskedApproval; keys: string[] }
  | { recorded: true; early: EarlyDecision }
  /** Kept on the approval until approval-mail's announcement of the link arrives. */
  | { recorded: true; awaiting: AskedApproval }
  | { recorded: false; refusal: Refusal };

/**
 * A write lost to a concurrent vote is tried again against the approval as it is now; each loss means
 * another vote counted, so a stage's approvers contending at once all get through within this many.
 */
const ATTEMPTS = 12;

export interface DecideDeps {
  store: ApprovalStore;
  directory: Directory;
  /** Who is away when a later stage starts; without it, nobody is. */
  delegations?: DelegationLookup;
}

/** Who the approval's current stage asks, as its policy names them (before policies: the approvers group). */
const currentSpecOf = (approval: AskedApproval) =>
  stageSpecOf(approval, approval.plan?.[approval.stage.index]?.approvers ?? DEFAULT_APPROVERS);

/**
 * Whether `email` is still among the approvers of the stage a record is in, asked of the directory
 * now; with no record yet (a link used before its approval was recorded), of the approvers group.
 */
export const refusalUnlessStillApprover = async (
  directory: Directory,
  record: ApprovalRecord | undefined,
  email: string,
): Promise<Refusal | undefined> => {
  const spec =
    record && record.status !== "DECIDED_EARLY" && record.status !== "WITHDRAWN_EARLY"
      ? currentSpecOf(record)
      : DEFAULT_APPROVERS;
  // A delegate decides as long as the approver they stand in for still may.
  const standingInFor = record && "delegates" in record ? record.delegates?.[email.toLowerCase()] : undefined;
  return (await isStillApprover(directory, spec, standingInFor ?? email))
    ? undefined
    : noLongerApprover(email);
};

interface Ballot {
  requestId: string;
  action: DecisionAction;
  decider: Decider;
  reason: string | undefined;
  now: Date;
  /** How this decider may decide the approval as stored, and the condition its write re-checks. */
  judge: (record: ApprovalRecord | undefined) => Judgement;
  condition: Condition;
}

/**
 * Counts one vote: reads the approval, judges it, re-checks the voter against the directory, resolves
 * the next stage when this vote completes the current one, and applies the transition in one
 * conditional write. A write that loses to a concurrent vote reads again and counts on top of it.
 */
const castVote = async (
  { store, directory, delegations }: DecideDeps,
  { requestId, action, decider, reason, now, judge, condition }: Ballot,
  whenAbsent: () => Promise<DecisionResult | undefined>,
  whenUnannounced: (approval: AskedApproval) => Promise<DecisionResult | undefined> = async () => undefined,
): Promise<DecisionResult> => {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const record = await store.get(requestId);
    if (!record) {
      const early = await whenAbsent();
      if (early) return early;
      continue;
    }
    const judgement = judge(record);
    if (!judgement.decidable) return { recorded: false, refusal: judgement.refusal };
    const approval = judgement.approval as AskedApproval;
    const removed = await refusalUnlessStillApprover(directory, approval, decider.email);
    if (removed) return { recorded: false, refusal: removed };
    if (judgement.unannounced) {
      const waiting = await whenUnannounced(approval);
      if (waiting) return waiting;
      continue;
    }
    const transition =
      action === "reject"
        ? rejectTransition(approval, decider, reason ?? "", now)
        : approveTransition(
            approval,
            decider,
            reason,
            now,
            await nextStageOf({ directory, delegations }, approval, decider, now),
          );
    const written = await store.apply(approval, transition, now, condition);
    if (written) return { recorded: true, ...written };
  }
  return { recorded: false, refusal: CONCURRENT_CHANGE };
};

/** The stage this approval starts next when `voter`'s approval completes the current one. */
const nextStageOf = async (
  { directory, delegations }: Pick<DecideDeps, "directory" | "delegations">,
  approval: AskedApproval,
  voter: Decider,
  now: Date,
) => {
  const next = nextStageIndex(approval);
  if (next === undefined || !approval.plan || !completesStage(approval)) return undefined;
  const counted = [...approval.voters, voter.email.toLowerCase()];
  const requester = requesterOf(approval.request);
  const stage = await resolveStage(directory, approval.plan, next, requester, counted);
  return withDelegations(delegations, stage, requester, counted, now);
};

/**
 * Records the vote of a link whose MAC checked out: on the approval, under the condition that the
 * link's hash is stored for its approver and action; before the approval exists, as an early
 * decision the ApprovalRequested handler settles (a conditional put: of concurrent ones, one wins).
 */
export const decide = (
  deps: DecideDeps,
  {
    claims,
    tokenHash,
    approverSubject,
    reason,
    now,
  }: { claims: TokenClaims; tokenHash: string; approverSubject?: string; reason?: string; now: Date },
): Promise<DecisionResult> => {
  const { requestId, action, approver, expiresAt } = claims;
  const decider = { email: approver, subject: approverSubject };
  return castVote(
    deps,
    {
      requestId,
      action,
      decider,
      reason,
      now,
      judge: (record) => judgeDecision(record, claims, tokenHash, now, approverSubject),
      condition: linkVoteCondition(decider, { action, tokenHash }, now),
    },
    async () => {
      const removed = await refusalUnlessStillApprover(deps.directory, undefined, approver);
      if (removed) return { recorded: false, refusal: removed };
      const early = await deps.store.recordEarlyDecision({
        requestId,
        action,
        approver,
        approverSubject,
        tokenHash,
        reason,
        now,
        expiresAt,
      });
      return early ? { recorded: true, early } : undefined;
    },
    async (approval) => {
      const awaiting = await deps.store.awaitAnnouncement(
        approval,
        { action, approver, approverSubject, reason, decidedAt: now.toISOString(), tokenHash },
        now,
      );
      return awaiting ? { recorded: true, awaiting } : undefined;
    },
  );
};

/**
 * Records a signed-in approver's vote, counted as a link's is, so whichever way each was given, every
 * approver counts once and the first rejection or the completing approval decides.
 */
export const decideSignedIn = async (
  deps: DecideDeps,
  {
    requestId,
    action,
    approver,
    reason,
    now,
    askedAbout,
  }: {
    requestId: string;
    action: DecisionAction;
    approver: SignedInApprover;
    reason?: string;
    now: Date;
    /**
     * The stage and round the approver was asked about (a chat message's button): judged with every read
     * of the approval, so a vote that loses a write to the vote completing that stage is not counted in
     * the next one.
     */
    askedAbout?: AskedAbout;
  },
): Promise<
  { recorded: true; approval: AskedApproval; keys: string[] } | { recorded: false; refusal: Refusal }
> => {
  const result = await castVote(
    deps,
    {
      requestId,
      action,
      decider: approver,
      reason,
      now,
      judge: (record) => {
        const stale = askedAbout && staleAskRefusal(record, askedAbout);
        return stale ? { decidable: false, refusal: stale } : judgeSignedInDecision(record, approver, now);
      },
      condition: signedInVoteCondition(approver, now),
    },
    async () => ({ recorded: false, refusal: judgeSignedInNothing(approver, now) }),
  );
  if (result.recorded && !("approval" in result))
    throw new TypeError("A signed-in vote never waits for a link");
  return result;
};

/** Why a signed-in approver cannot decide a request decision holds nothing about. */
const judgeSignedInNothing = (approver: SignedInApprover, now: Date): Refusal => {
  const judgement = judgeSignedInDecision(undefined, approver, now);
  return judgement.decidable ? CONCURRENT_CHANGE : judgement.refusal;
};
