import { ApprovalPolicyApplied } from "../../events/approval-policy-applied.ts";
import type { Extension } from "../../events/lease.ts";
import { RELEASED_BEFORE_DECIDED } from "../../events/lease-events.ts";
import type { PolicyDecision } from "../../policy/index.ts";
import {
  type AskedApproval,
  type ExtensionRef,
  type PastRound,
  requestDecisionOf,
  timingOf,
} from "./domain.ts";
import { owed } from "./outbox.ts";
import type { ResolvedStage } from "./stages.ts";
import { extensionDecided, leaseOf, ofRound, stageStarted, type Transition, whyOf } from "./transitions.ts";

/**
 * Extensions of a lease, decided on the request's own approval item (docs/POLICIES.md). An extension
 * its policy decides at once (approved within its limits, refused beyond them) is only recorded as
 * handled; one it asks approvers about opens a ROUND: the item's stage, approvers, votes, links and
 * deadline become the round's, from its policy's first stage, and the round it replaces is kept in
 * `rounds`. Every approval event of a round carries its `extension`, and a round ends in
 * ExtensionDecided where the request's approval ended in its outcome (transitions.ts), or when the
 * lease's resource is released first (`closeRoundTransition`).
 */

export const extensionRefOf = ({ n, until, from, justification }: Extension): ExtensionRef => ({
  n,
  until,
  from,
  justification,
});

/** Whether ExtensionRequested `n` was handled already: a second delivery decides nothing again. */
export const extensionHandled = (approval: AskedApproval, n: number): boolean =>
  approval.extensionsHandled?.includes(n) ?? false;

/**
 * Why no policy may judge an extension now, or undefined when one may: only the lease of an approved
 * request whose resource is not released is extended, one extension at a time.
 */
export const whyExtensionRefused = (approval: AskedApproval): string | undefined => {
  if (approval.releasedAt !== undefined) return RELEASED_BEFORE_DECIDED;
  if (approval.status === "PENDING") {
    return approval.extension
      ? `extension ${approval.extension.n} of this lease is still being decided`
      : "the request is still waiting for its approval";
  }
  const { status, decision } = requestDecisionOf(approval);
  return status === "DECIDED" && decision?.action === "approve" ? undefined : "the request was not approved";
};

const handledToo = (approval: AskedApproval, n: number): Pick<AskedApproval, "extensionsHandled"> => ({
  extensionsHandled: [...(approval.extensionsHandled ?? []), n],
});

/** An extension decided without asking anyone: by its policy (`decider` policy:<name>), or refused before one judged it. */
export const extensionDecidedAtOnce = (
  approval: AskedApproval,
  extension: ExtensionRef,
  verdict: { approved: boolean; reason: string; decider?: string; policy?: PolicyDecision["policy"] },
  now: Date,
): Transition => ({
  set: handledToo(approval, extension.n),
  events: [extensionDecided(approval, extension, { ...verdict, decidedAt: now.toISOString() })],
});

/** The round the approval is in, as it is kept once the next one opens; only attributes it has. */
const pastRoundOf = (approval: AskedApproval): PastRound => ({
  ...ofRound(approval),
  status: approval.status,
  ...(approval.policy && { policy: approval.policy }),
  ...(approval.decision && { decision: approval.decision }),
  votes: approval.votes,
  expiresAt: approval.expiresAt,
  ...(approval.expiredAt !== undefined && { expiredAt: approval.expiredAt }),
});

export interface RoundOpening {
  extension: ExtensionRef;
  /** The policy that asks, with stages. */
  decision: PolicyDecision;
  /** Its first stage as resolved now: able to reach its quorum. */
  firstStage: ResolvedStage;
  expiresAt: Date;
  now: Date;
}

/**
 * A new round of the approval for an extension: pending again from the policy's first stage, with no
 * vote, voter or link of an earlier round (their links stop counting), its own deadline and timers
 * (timers.ts owes them for the ApprovalStageStarted), and the round it replaces kept in `rounds`.
 */
export const openRoundTransition = (
  approval: AskedApproval,
  { extension, decision, firstStage, expiresAt, now }: RoundOpening,
): Transition => {
  const { policy, outcome } = decision;
  if (outcome.kind !== "stages") throw new TypeError(`Policy "${policy.name}" asks nobody: no round opens`);
  const timing = timingOf(outcome).timing;
  const round = {
    status: "PENDING",
    extension,
    policy,
    plan: outcome.stages,
    ...(timing && { timing }),
    stage: firstStage.ref,
    approvers: firstStage.approvers,
    delegates: firstStage.delegates ?? {},
    quorum: firstStage.quorum,
    votes: [],
    voters: [],
    expiresAt: expiresAt.toISOString(),
    rounds: [...(approval.rounds ?? []), pastRoundOf(approval)],
    ...handledToo(approval, extension.n),
  } satisfies Partial<AskedApproval>;
  const opened: AskedApproval = { ...approval, ...round };
  return {
    set: round,
    remove: [
      "decision",
      "expiredAt",
      "grants",
      "timersDone",
      "awaitingDecision",
      "voidedDecision",
      ...(timing ? [] : (["timing"] as const)),
    ],
    events: [
      owed(ApprovalPolicyApplied, {
        requestId: approval.requestId,
        extension,
        request: approval.request,
        ...leaseOf(approval),
        policy,
        outcome: outcome.kind,
        stages: outcome.stages.map(({ name, approvers, quorum }) => ({ name, approvers, quorum })),
        expiresAt: opened.expiresAt,
        why: whyOf(decision),
        appliedAt: now.toISOString(),
      }),
      ...stageStarted(opened, firstStage, now),
    ],
  };
};

/**
 * A pending round closed because the lease's resource was released: refused, decided by nobody. The
 * round is CANCELLED, so its links and votes stop counting (every vote needs a pending approval) and
 * the write takes its timers back (timers.ts), as any write that settles a pending approval does.
 */
/**
 * A release with no round pending is only noted: an ExtensionRequested delivered after it (a retried
 * delivery can come later than the release) is then refused instead of opening a round nobody needs.
 */
export const releaseNotedTransition = (now: Date): Transition => ({
  set: { releasedAt: now.toISOString() },
  events: [],
});

export const closeRoundTransition = (
  approval: AskedApproval,
  extension: ExtensionRef,
  now: Date,
): Transition => ({
  set: { status: "CANCELLED", releasedAt: now.toISOString() },
  events: [
    extensionDecided(approval, extension, {
      approved: false,
      reason: RELEASED_BEFORE_DECIDED,
      votes: approval.votes,
      decidedAt: now.toISOString(),
    }),
  ],
});
