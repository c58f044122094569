import { policyActorOf } from "../../events/approval-policy.ts";
import { ApprovalPolicyApplied } from "../../events/approval-policy-applied.ts";
import { ApprovalStageCompleted } from "../../events/approval-stage-completed.ts";
import { ApprovalStageStarted } from "../../events/approval-stage-started.ts";
import { ApprovalVoteRecorded } from "../../events/approval-vote-recorded.ts";
import { ExtensionDecided } from "../../events/lease-events.ts";
import type { AcceptedRequest } from "../../events/request.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { RequestRejected } from "../../events/request-rejected.ts";
import type { LeaseSettlement, PolicyDecision } from "../../policy/index.ts";
import { canonicalEmail } from "../shared/canonical-email.ts";
import { type AskedApproval, type Decider, type Decision, type ExtensionRef, timingOf } from "./domain.ts";
import { type OwedEntry, type OwedEvent, outboxEntries, owed } from "./outbox.ts";
import { type PolicyRef, type ResolvedStage, type Vote, whyStageCannotComplete } from "./stages.ts";

/**
 * What each change of an approval writes and owes the bus, as pure functions of the approval read:
 * the store applies a transition in one write conditional on the approval being as read (its
 * `eventSeq`), so a concurrent change makes the write fail and its caller read again.
 */

const WHY_MAX_LENGTH = 500;

/** The attributes a change sets, and the events it owes (in order). */
export interface Transition {
  set: Partial<AskedApproval>;
  /** Attributes it removes. */
  remove?: (keyof AskedApproval)[];
  /** Events, and schedules (timers.ts), in the order they are owed. */
  events: OwedEntry[];
}

/** A vote settles the decision that waited for the voter's link to be announced: the slot is free again. */
const settlesAwaiting = (approval: AskedApproval, approver: string): Pick<Transition, "remove"> =>
  approval.awaitingDecision?.approver === approver.toLowerCase() ? { remove: ["awaitingDecision"] } : {};

/** The sweeper's task of an item that owes events: publish them after the writer's grace. */
export type SweepDue = Pick<AskedApproval, "sweepTask" | "sweepAt">;

/** The approval as it is once `transition` is applied: what the store's write makes of it. */
export const applied = (approval: AskedApproval, transition: Transition, sweep: SweepDue): AskedApproval => {
  const next: AskedApproval = {
    ...approval,
    ...transition.set,
    outbox: { ...approval.outbox, ...outboxEntries(approval.eventSeq, transition.events) },
    eventSeq: approval.eventSeq + transition.events.length,
    ...(transition.events.length > 0 && sweep),
  };
  for (const attribute of transition.remove ?? []) delete next[attribute];
  return next;
};

/** The approvals an outcome lists: every counted one, all stages. */
export const approvalsOf = (votes: readonly Vote[]) =>
  votes.map(({ stage, approver, onBehalfOf, decidedAt }) => ({
    stage,
    approver,
    ...(onBehalfOf !== undefined && { onBehalfOf }),
    decidedAt,
  }));

/** The approver a voter stands in for in the current stage, when they were asked as a delegate. */
const onBehalfOfIn = (approval: AskedApproval, voter: string): { onBehalfOf?: string } => {
  const onBehalfOf = approval.delegates?.[voter.toLowerCase()];
  return onBehalfOf === undefined ? {} : { onBehalfOf };
};

const stageVotes = (approval: AskedApproval): Vote[] =>
  approval.votes.filter((vote) => vote.stage === approval.stage.index);

/** Whether one more approval completes the current stage. */
export const completesStage = (approval: AskedApproval): boolean =>
  stageVotes(approval).length + 1 >= approval.quorum;

/** The stage after the current one, when the plan has one. */
export const nextStageIndex = (approval: AskedApproval): number | undefined => {
  const next = approval.stage.index + 1;
  return approval.plan && next < approval.plan.length ? next : undefined;
};

/** What every approval event of an extension's round carries: the extension it decides. */
export const ofRound = ({ extension }: Pick<AskedApproval, "extension">): { extension?: ExtensionRef } =>
  extension ? { extension } : {};

/** The lease terms the approval's events show, when the policy settled any. */
export const leaseOf = ({ lease }: Pick<AskedApproval, "lease">): Pick<AskedApproval, "lease"> =>
  lease ? { lease } : {};

/**
 * How an extension is decided: at once by a policy, or at the end of its round (where the request's own
 * approval ends in its outcome event); by the round's policy unless another is named.
 */
export const extensionDecided = (
  approval: AskedApproval,
  extension: ExtensionRef,
  {
    approved,
    decider,
    reason,
    votes = [],
    policy = approval.policy,
    decidedAt,
  }: {
    approved: boolean;
    decider?: string;
    reason?: string;
    votes?: readonly Vote[];
    policy?: PolicyRef;
    decidedAt: string;
  },
): OwedEvent =>
  owed(ExtensionDecided, {
    requestId: approval.requestId,
    request: approval.request,
    extension,
    approved,
    decider,
    reason,
    policy,
    ...(votes.length > 0 && { approvals: approvalsOf(votes) }),
    decidedAt,
  });

export const stageStarted = (
  approval: Pick<AskedApproval, "requestId" | "request" | "policy" | "expiresAt" | "extension" | "lease">,
  stage: ResolvedStage,
  now: Date,
): OwedEvent[] =>
  approval.policy
    ? [
        owed(ApprovalStageStarted, {
          requestId: approval.requestId,
          ...ofRound(approval),
          request: approval.request,
          ...leaseOf(approval),
          policy: approval.policy,
          stage: stage.ref,
          approvers: stage.approvers.map((email) => {
            const onBehalfOf = stage.delegates?.[email];
            return onBehalfOf === undefined ? { email } : { email, onBehalfOf };
          }),
          quorum: stage.quorum,
          expiresAt: approval.expiresAt,
          startedAt: now.toISOString(),
        }),
      ]
    : [];

/** The request refused by its policy: a stage that cannot reach its quorum. */
const refusedByPolicy = (approval: AskedApproval, reason: string, votes: Vote[], now: Date): Transition => {
  const decision: Decision = {
    action: "reject",
    approver: policyActorOf(approval.policy?.name ?? "default"),
    reason,
    decidedAt: now.toISOString(),
  };
  return {
    set: { status: "DECIDED", decision },
    events: [
      approval.extension
        ? extensionDecided(approval, approval.extension, {
            approved: false,
            decider: decision.approver,
            reason,
            votes,
            decidedAt: decision.decidedAt,
          })
        : owed(RequestRejected, {
            requestId: approval.requestId,
            request: approval.request,
            approver: decision.approver,
            reason,
            decidedAt: decision.decidedAt,
            policy: approval.policy,
            approvals: approvalsOf(votes),
          }),
    ],
  };
};

/**
 * An approval counted in the current stage. The one that completes the stage completes it too, and
 * then starts the next stage (`next`, resolved by the caller) or, after the last, approves the request;
 * a next stage that cannot reach its quorum refuses the request.
 */
export const approveTransition = (
  approval: AskedApproval,
  { email, subject }: Decider,
  reason: string | undefined,
  now: Date,
  next?: ResolvedStage,
): Transition => {
  const decidedAt = now.toISOString();
  // As the decider gave it (a token's case): `voters` holds it lower-case for the conditions.
  const approver = email;
  const delegated = onBehalfOfIn(approval, approver);
  const vote: Vote = {
    stage: approval.stage.index,
    approver,
    ...(subject !== undefined && { approverSubject: subject }),
    ...delegated,
    ...(reason !== undefined && { reason }),
    decidedAt,
  };
  const votes = [...approval.votes, vote];
  const voters = [...approval.voters, approver.toLowerCase()];
  const inStage = votes.filter((counted) => counted.stage === approval.stage.index);
  const events: OwedEvent[] = [
    owed(ApprovalVoteRecorded, {
      requestId: approval.requestId,
      ...ofRound(approval),
      stage: approval.stage,
      approver,
      ...delegated,
      action: "approve",
      reason,
      approvals: inStage.length,
      quorum: approval.quorum,
      votedAt: decidedAt,
    }),
  ];
  const settled = settlesAwaiting(approval, approver);
  if (inStage.length < approval.quorum) return { set: { votes, voters }, ...settled, events };
  events.push(
    owed(ApprovalStageCompleted, {
      requestId: approval.requestId,
      ...ofRound(approval),
      stage: approval.stage,
      approvedBy: inStage.map(({ approver: email, onBehalfOf }) =>
        onBehalfOf === undefined ? { email } : { email, onBehalfOf },
      ),
      completedAt: decidedAt,
    }),
  );
  const nextIndex = nextStageIndex(approval);
  const nextPlanned = nextIndex === undefined ? undefined : approval.plan?.[nextIndex];
  if (nextPlanned && next) {
    const why = whyStageCannotComplete(next, nextPlanned);
    if (why) {
      const refused = refusedByPolicy(approval, why, votes, now);
      return { set: { ...refused.set, votes, voters }, ...settled, events: [...events, ...refused.events] };
    }
    return {
      set: {
        votes,
        voters,
        stage: next.ref,
        approvers: next.approvers,
        quorum: next.quorum,
        delegates: next.delegates ?? {},
      },
      ...settled,
      events: [...events, ...stageStarted(approval, next, now)],
    };
  }
  const decision: Decision = {
    action: "approve",
    approver,
    ...(subject !== undefined && { approverSubject: subject }),
    reason,
    decidedAt,
  };
  events.push(
    approval.extension
      ? extensionDecided(approval, approval.extension, {
          approved: true,
          decider: approver,
          reason,
          votes,
          decidedAt,
        })
      : owed(RequestApproved, {
          requestId: approval.requestId,
          request: approval.request,
          ...leaseOf(approval),
          approver,
          reason,
          decidedAt,
          policy: approval.policy,
          approvals: approvalsOf(votes),
        }),
  );
  return { set: { status: "DECIDED", decision, votes, voters }, ...settled, events };
};

/** Any rejection ends the request, with the approvals counted so far. */
export const rejectTransition = (
  approval: AskedApproval,
  { email, subject }: Decider,
  reason: string,
  now: Date,
): Transition => {
  const decidedAt = now.toISOString();
  const approver = email;
  const decision: Decision = {
    action: "reject",
    approver,
    ...(subject !== undefined && { approverSubject: subject }),
    reason,
    decidedAt,
  };
  return {
    set: { status: "DECIDED", decision, voters: [...approval.voters, approver.toLowerCase()] },
    ...settlesAwaiting(approval, approver),
    events: [
      owed(ApprovalVoteRecorded, {
        requestId: approval.requestId,
        ...ofRound(approval),
        stage: approval.stage,
        approver,
        ...onBehalfOfIn(approval, approver),
        action: "reject",
        reason,
        approvals: stageVotes(approval).length,
        quorum: approval.quorum,
        votedAt: decidedAt,
      }),
      approval.extension
        ? extensionDecided(approval, approval.extension, {
            approved: false,
            decider: approver,
            reason,
            votes: approval.votes,
            decidedAt,
          })
        : owed(RequestRejected, {
            requestId: approval.requestId,
            request: approval.request,
            approver,
            reason,
            decidedAt,
            policy: approval.policy,
            approvals: approvalsOf(approval.votes),
          }),
    ],
  };
};

/** A pending approval past its deadline; an extension nobody decided in time is refused. */
export const expireTransition = (approval: AskedApproval, now: Date): Transition => ({
  set: { status: "EXPIRED", expiredAt: now.toISOString() },
  events: [
    approval.extension
      ? extensionDecided(approval, approval.extension, {
          approved: false,
          reason: `no approver decided before ${approval.expiresAt}`,
          votes: approval.votes,
          decidedAt: now.toISOString(),
        })
      : owed(RequestExpired, {
          requestId: approval.requestId,
          request: approval.request,
          expiresAt: approval.expiresAt,
          expiredAt: now.toISOString(),
          policy: approval.policy,
        }),
  ],
});

/** Why the policy applies, as ApprovalPolicyApplied holds it: each reason to 500 characters, a long pattern's explanation cut rather than refused. */
export const whyOf = (decision: PolicyDecision): string[] =>
  decision.why.map((line) => (line.length > WHY_MAX_LENGTH ? `${line.slice(0, WHY_MAX_LENGTH - 1)}…` : line));

export interface PolicyApplication {
  requestId: string;
  request: AcceptedRequest;
  decision: PolicyDecision;
  /** The request's lease under the policy (settleLease): refused, it rejects the request. */
  lease: LeaseSettlement;
  /** The first stage as resolved for this request; only for a policy with stages whose lease is settled. */
  firstStage?: ResolvedStage;
  expiresAt: Date;
  now: Date;
}

/**
 * The approval a policy opens for an accepted request, with what it owes: ApprovalPolicyApplied, then
 * the request approved or rejected by the policy (auto-approval, denial, a lease it does not allow, or
 * a first stage that cannot reach its quorum), or the first stage started. The lease's terms go on
 * every event that names the policy's outcome, and stay on the approval.
 */
export const approvalOfPolicy = ({
  requestId,
  request,
  decision,
  lease,
  firstStage,
  expiresAt,
  now,
}: PolicyApplication): { approval: AskedApproval; events: OwedEntry[] } => {
  const { outcome, policy } = decision;
  const at = now.toISOString();
  const plan = outcome.kind === "stages" ? outcome.stages : undefined;
  const approval: AskedApproval = {
    requestId,
    request,
    requesterEmail: request.requester.email.toLowerCase(),
    requesterCanonicalEmail: canonicalEmail(request.requester.email),
    requesterSubject: request.requester.subject,
    createdAt: at,
    status: "PENDING",
    policy,
    ...(plan && { plan }),
    ...(outcome.kind === "stages" && timingOf(outcome)),
    stage: firstStage?.ref ?? { index: 0, name: policy.name, count: 1 },
    approvers: firstStage?.approvers ?? [],
    ...(firstStage?.delegates && { delegates: firstStage.delegates }),
    quorum: firstStage?.quorum ?? 1,
    votes: [],
    voters: [],
    expiresAt: expiresAt.toISOString(),
    outbox: {},
    eventSeq: 0,
    ...(lease.ok && { lease: lease.terms }),
  };
  const events: OwedEvent[] = [
    owed(ApprovalPolicyApplied, {
      requestId,
      request,
      ...leaseOf(approval),
      policy,
      outcome: outcome.kind,
      ...(plan && {
        stages: plan.map(({ name, approvers, quorum }) => ({ name, approvers, quorum })),
        expiresAt: approval.expiresAt,
      }),
      why: whyOf(decision),
      appliedAt: at,
    }),
  ];
  const decided = (action: Decision["action"], reason: string): Transition => {
    const decisionMade: Decision = { action, approver: policyActorOf(policy.name), reason, decidedAt: at };
    const detail = { requestId, request, approver: decisionMade.approver, reason, decidedAt: at, policy };
    return {
      set: { status: "DECIDED", decision: decisionMade },
      events: [
        action === "approve"
          ? owed(RequestApproved, { ...detail, ...leaseOf(approval) })
          : owed(RequestRejected, detail),
      ],
    };
  };
  const plannedFirst = plan?.[0];
  const why = firstStage && plannedFirst ? whyStageCannotComplete(firstStage, plannedFirst) : undefined;
  const transition: Transition = !lease.ok
    ? decided("reject", lease.reason)
    : outcome.kind === "autoApprove"
      ? decided("approve", outcome.reason)
      : outcome.kind === "deny"
        ? decided("reject", outcome.reason)
        : why
          ? decided("reject", why)
          : { set: {}, events: firstStage ? stageStarted(approval, firstStage, now) : [] };
  return { approval: { ...approval, ...transition.set }, events: [...events, ...transition.events] };
};
