import { z } from "zod";
import type { Approval, ApprovalStage, LeaseExtension, TimelineEntry } from "../../api/schemas.ts";
import { ApprovalEscalated } from "../../events/approval-escalated.ts";
import { policyActorSchema } from "../../events/approval-policy.ts";
import { ApprovalPolicyApplied } from "../../events/approval-policy-applied.ts";
import { ApprovalStageCompleted } from "../../events/approval-stage-completed.ts";
import { ApprovalStageStarted } from "../../events/approval-stage-started.ts";
import { ApprovalVoteRecorded } from "../../events/approval-vote-recorded.ts";
import { ApproversReminded } from "../../events/approvers-reminded.ts";
import type { EventContract } from "../../events/contract.ts";
import { ExtensionDecided } from "../../events/lease-events.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestCancelled } from "../../events/request-cancelled.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { RequestRejected } from "../../events/request-rejected.ts";

/**
 * The events that tell how a policy decides a request, or an extension of its lease (a round of its
 * approval, whose events carry the extension and which ends in ExtensionDecided); the explanation is
 * built from them alone.
 */
const EXPLAINING_EVENTS = [
  ApprovalPolicyApplied,
  ApprovalStageStarted,
  ApprovalVoteRecorded,
  ApprovalStageCompleted,
  ApproversReminded,
  ApprovalEscalated,
  RequestApproved,
  RequestRejected,
  RequestExpired,
  RequestCancelled,
  ExtensionDecided,
] as const;

type ExplainingEvent<C = (typeof EXPLAINING_EVENTS)[number]> =
  C extends EventContract<infer DetailType, infer Schema>
    ? { type: DetailType; detail: z.output<Schema> }
    : never;

const carriesRound = z.object({ extension: z.object({ n: z.number() }) });

/**
 * The extension an event of the approval flow is about (its round, from 1), or undefined for the
 * request's own approval. ApprovalTimerDue names its round by number alone, and is not about one here.
 */
export const extensionRoundOf = (detail: unknown): number | undefined =>
  carriesRound.safeParse(detail).data?.extension.n;

/** The explaining events of the request's approval (`round` undefined) or of one extension's round. */
const readExplainingEvent =
  (round: number | undefined) =>
  (entry: TimelineEntry): ExplainingEvent | undefined => {
    const contract = EXPLAINING_EVENTS.find(({ detailType }) => detailType === entry.type);
    const parsed = contract?.schema.safeParse(entry.detail);
    if (!parsed?.success || extensionRoundOf(parsed.data) !== round) return undefined;
    return { type: entry.type, detail: parsed.data } as ExplainingEvent;
  };

interface Person {
  onBehalfOf?: string;
  at: string;
}

/** What the events say of one stage; maps keyed by email, so repeats and order change nothing. */
interface StageProgress {
  name: string;
  quorum: number | "all";
  asked: Map<string, Person>;
  approved: Map<string, Person>;
  completed: boolean;
  rejectedBy?: { email: string; at: string; reason?: string };
  /** Who the escalation added to the stage. */
  escalated: Set<string>;
  /** Per person reminded, the reminders' numbers and the time of each: a repeat of one counts once. */
  reminded: Map<string, Map<number, string>>;
}

const earlier = (a: string, b: string) => (Date.parse(a) <= Date.parse(b) ? a : b);

/** Keeps the earliest time a person was seen at: a redelivered or republished event adds nothing. */
const note = (people: Map<string, Person>, email: string, onBehalfOf: string | undefined, at: string) => {
  const known = people.get(email);
  people.set(email, {
    onBehalfOf: known?.onBehalfOf ?? onBehalfOf,
    at: known ? earlier(known.at, at) : at,
  });
};

const inTimeOrder = <T extends { email: string; at: string }>(people: T[]): T[] =>
  people.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.email < b.email ? -1 : 1));

const listOf = (people: Map<string, Person>) =>
  inTimeOrder(
    [...people].map(([email, { onBehalfOf, at }]) => ({
      email,
      ...(onBehalfOf !== undefined && { onBehalfOf }),
      at,
    })),
  );

/** Each person reminded, how often, and when last, in the order they were last reminded. */
const remindersOf = (reminded: Map<string, Map<number, string>>) =>
  [...reminded]
    .map(([email, times]) => ({
      email,
      times: times.size,
      lastAt: [...times.values()].reduce((last, at) => (Date.parse(at) > Date.parse(last) ? at : last)),
    }))
    .sort((a, b) => Date.parse(a.lastAt) - Date.parse(b.lastAt) || (a.email < b.email ? -1 : 1));

const isPolicy = (decider: string) => policyActorSchema.safeParse(decider).success;

const approvalsWord = (count: number) => (count === 1 ? "1 more approval" : `${count} more approvals`);

/**
 * How the approval policy decides the request, from the events of its timeline: the policy that
 * matched and why, and each stage with whom it asked, who approved or rejected and when, and who is
 * still needed. Every fact is kept by stage and email with its earliest time, so the explanation is
 * the same whatever order the events arrived in and however often. Undefined for a request no policy
 * decided (recorded before approval policies, or not accepted yet). With `round`, the same of that
 * extension's round of approval, undefined when its policy decided it without asking anyone.
 */
export const approvalOf = (timeline: readonly TimelineEntry[], round?: number): Approval | undefined => {
  const events = timeline.flatMap((entry) => readExplainingEvent(round)(entry) ?? []);
  const applied = events
    .flatMap((event) => (event.type === ApprovalPolicyApplied.detailType ? [event.detail] : []))
    .sort((a, b) => Date.parse(a.appliedAt) - Date.parse(b.appliedAt))[0];
  if (!applied) return undefined;

  const progressOf = (name: string, quorum: number | "all"): StageProgress => ({
    name,
    quorum,
    asked: new Map(),
    approved: new Map(),
    completed: false,
    escalated: new Set(),
    reminded: new Map(),
  });
  const stages: StageProgress[] = (applied.stages ?? []).map(({ name, quorum }) => progressOf(name, quorum));
  const stageAt = (index: number, name: string): StageProgress => {
    stages[index] ??= progressOf(name, "all");
    return stages[index];
  };
  let approved = false;
  let expired = false;
  let cancelled = false;
  let rejection: { approver?: string; reason?: string; at: string } | undefined;

  for (const event of events) {
    switch (event.type) {
      case ApprovalStageStarted.detailType: {
        const { stage, approvers, quorum, startedAt } = event.detail;
        const progress = stageAt(stage.index, stage.name);
        progress.quorum = quorum;
        for (const { email, onBehalfOf } of approvers) note(progress.asked, email, onBehalfOf, startedAt);
        break;
      }
      case ApprovalVoteRecorded.detailType: {
        const { stage, approver, onBehalfOf, action, reason, votedAt } = event.detail;
        const progress = stageAt(stage.index, stage.name);
        if (action === "approve") note(progress.approved, approver, onBehalfOf, votedAt);
        else
          progress.rejectedBy ??= { email: approver, at: votedAt, ...(reason !== undefined && { reason }) };
        break;
      }
      case ApprovalStageCompleted.detailType: {
        const { stage, approvedBy, completedAt } = event.detail;
        const progress = stageAt(stage.index, stage.name);
        progress.completed = true;
        for (const { email, onBehalfOf } of approvedBy)
          note(progress.approved, email, onBehalfOf, completedAt);
        break;
      }
      case ApproversReminded.detailType: {
        const { stage, approvers, reminder, remindedAt } = event.detail;
        const progress = stageAt(stage.index, stage.name);
        for (const email of approvers) {
          const reminders = progress.reminded.get(email) ?? new Map<number, string>();
          reminders.set(reminder.n, earlier(reminders.get(reminder.n) ?? remindedAt, remindedAt));
          progress.reminded.set(email, reminders);
        }
        break;
      }
      case ApprovalEscalated.detailType: {
        const { stage, approvers, escalatedAt } = event.detail;
        const progress = stageAt(stage.index, stage.name);
        for (const email of approvers) {
          note(progress.asked, email, undefined, escalatedAt);
          progress.escalated.add(email);
        }
        break;
      }
      case RequestApproved.detailType:
        approved = true;
        for (const vote of event.detail.approvals ?? []) {
          const progress = stages[vote.stage];
          if (progress) note(progress.approved, vote.approver, vote.onBehalfOf, vote.decidedAt);
        }
        break;
      case RequestRejected.detailType: {
        const { approver, reason, decidedAt, approvals } = event.detail;
        rejection ??= { ...(approver !== undefined && { approver }), reason, at: decidedAt };
        for (const vote of approvals ?? []) {
          const progress = stages[vote.stage];
          if (progress) note(progress.approved, vote.approver, vote.onBehalfOf, vote.decidedAt);
        }
        break;
      }
      case RequestExpired.detailType:
        expired = true;
        break;
      case RequestCancelled.detailType:
        cancelled = true;
        for (const vote of event.detail.approvals ?? []) {
          const progress = stages[vote.stage];
          if (progress) note(progress.approved, vote.approver, vote.onBehalfOf, vote.decidedAt);
        }
        break;
      // A round ends as a request's approval does: approved, refused by someone, or nobody in time.
      case ExtensionDecided.detailType: {
        const { approved: yes, decider, reason, decidedAt, approvals } = event.detail;
        if (yes) approved = true;
        else if (decider === undefined) expired = true;
        else rejection ??= { approver: decider, ...(reason !== undefined && { reason }), at: decidedAt };
        for (const vote of approvals ?? []) {
          const progress = stages[vote.stage];
          if (progress) note(progress.approved, vote.approver, vote.onBehalfOf, vote.decidedAt);
        }
        break;
      }
    }
  }

  const isDone = (stage: StageProgress) =>
    approved || stage.completed || (typeof stage.quorum === "number" && stage.approved.size >= stage.quorum);
  // A person's rejection that came without its vote event still names the stage it ended: the one asking.
  const asking = stages.findIndex((stage) => stage.asked.size > 0 && !isDone(stage));
  const rejectedStage = stages[asking];
  if (rejection?.approver !== undefined && !isPolicy(rejection.approver) && rejectedStage) {
    const { reason } = rejection;
    rejectedStage.rejectedBy ??= {
      email: rejection.approver,
      at: rejection.at,
      ...(reason !== undefined && { reason }),
    };
  }
  const decided = approved || rejection !== undefined || expired || cancelled;

  const stateOf = (stage: StageProgress): ApprovalStage["state"] => {
    if (stage.rejectedBy) return "rejected";
    if (isDone(stage)) return "approved";
    if (stage.asked.size === 0) return "waiting";
    if (rejection) return "rejected";
    if (cancelled) return "cancelled";
    return expired ? "expired" : "active";
  };

  const shown: ApprovalStage[] = stages.map((stage, index) => ({
    index,
    name: stage.name,
    quorum: stage.quorum,
    state: stateOf(stage),
    asked: listOf(stage.asked).map(({ at, ...person }) => ({
      ...person,
      askedAt: at,
      ...(stage.escalated.has(person.email) && { escalated: true as const }),
    })),
    approvedBy: listOf(stage.approved),
    ...(stage.rejectedBy && { rejectedBy: stage.rejectedBy }),
    ...(stage.reminded.size > 0 && { reminded: remindersOf(stage.reminded) }),
  }));

  return {
    policy: { name: applied.policy.name, hash: applied.policy.hash, why: applied.why },
    outcome: applied.outcome,
    stages: shown,
    ...(!decided && { waitingFor: waitingFor(stages, shown) }),
  };
};

/** "Waiting for 1 more approval from team leads (stage 1 of 2)": what the stage asking now still needs. */
const waitingFor = (stages: StageProgress[], shown: ApprovalStage[]): string | undefined => {
  const of = (index: number) => (stages.length > 1 ? ` (stage ${index + 1} of ${stages.length})` : "");
  const active = shown.find((stage) => stage.state === "active");
  if (active) {
    const quorum = typeof active.quorum === "number" ? active.quorum : active.asked.length;
    return `Waiting for ${approvalsWord(quorum - active.approvedBy.length)} from ${active.name}${of(active.index)}`;
  }
  // Between a stage's completion and the next one's start, or before the first starts.
  const next = shown.find((stage) => stage.state === "waiting");
  return next && `Waiting for ${next.name}${of(next.index)} to be asked`;
};

/** The approvers the stage asking now has not heard from yet; none once the approval is decided. */
const awaitedIn = (approval: Approval): string[] => {
  const active = approval.stages.find((stage) => stage.state === "active");
  if (!active) return [];
  const answered = new Set(active.approvedBy.map(({ email }) => email));
  return active.asked.flatMap(({ email }) => (answered.has(email) ? [] : [email]));
};

/**
 * Whom a request still waits for: the approvers the stage asking now has not heard from yet. Before
 * approval policies every approver asked was awaited until someone decided.
 */
export const awaitedApproversOf = ({
  approval,
  approvers,
}: {
  approval?: Approval;
  approvers?: string[];
}): string[] | undefined => (approval ? awaitedIn(approval) : approvers);

/** Whom an extension's round of approval still waits for: nobody once it is decided. */
export const awaitedForExtensionOf = ({ status, approval }: LeaseExtension): string[] =>
  status === "requested" && approval ? awaitedIn(approval) : [];
