import { ApprovalEscalated } from "../../events/approval-escalated.ts";
import { ApprovalStageStarted } from "../../events/approval-stage-started.ts";
import type { ApprovalTimerDue } from "../../events/approval-timer-due.ts";
import { ApproversReminded } from "../../events/approvers-reminded.ts";
import type { DetailOf } from "../../events/contract.ts";
import type { Approvers } from "../../policy/index.ts";
import type { Directory } from "../shared/directory.ts";
import { scheduleNameFor } from "../shared/schedules.ts";
import type { AskedApproval } from "./domain.ts";
import { type OwedEntry, type OwedSchedule, owed } from "./outbox.ts";
import { requesterOf, resolveStage } from "./stages.ts";
import { leaseOf, ofRound, type Transition } from "./transitions.ts";

/**
 * An approval's timers, as one-time EventBridge Scheduler schedules rather than a sweep: each stage
 * that starts owes its first reminder (start + every) and its escalation (start + after), the first
 * stage the approval's expiry (at its deadline). Each reminder owes the next while fewer than `max`
 * went out. They are owed in the outbox with the write that starts the stage, so a crash before
 * Scheduler has them leaves them to the sweeper's PUBLISH pass. A due timer reads the approval again
 * and does nothing when it moved on (decided, expired, or another stage); the write that settles an
 * approval takes its outstanding schedules back, which is only tidiness.
 */

export type TimerDue = DetailOf<typeof ApprovalTimerDue>;

type TimerPlace = Pick<TimerDue, "kind" | "stage" | "n" | "extension">;

/**
 * The timer's place on the approval: `<kind>-<stage>-<n>` (n is 0 but for reminders), after `x<round>-`
 * in an extension's round, whose timers are never an earlier round's.
 */
const timerKey = ({ kind, stage, n, extension }: TimerPlace): string =>
  `${roundPrefix(extension)}${kind}-${stage}-${n ?? 0}`;

const roundPrefix = (extension: number | undefined): string =>
  extension === undefined ? "" : `x${extension}-`;

/**
 * The schedule's name, `<requestId>-<kind>-<stage>-<n>` (with its round's `x<n>-`): the same timer always
 * gets the same one, so owing it twice moves it instead of adding one.
 */
export const scheduleNameOf = (requestId: string, timer: TimerPlace): string =>
  scheduleNameFor(requestId, timerKey(timer));

/** The round the approval's timers are set for, as they carry it. */
const roundOf = (approval: Pick<AskedApproval, "extension">): Pick<TimerDue, "extension"> =>
  approval.extension ? { extension: approval.extension.n } : {};

const timer = (detail: TimerDue): OwedSchedule => ({
  schedule: { name: scheduleNameOf(detail.requestId, detail), at: detail.dueAt, detail },
});

const later = (from: string | Date, ms: number): string =>
  new Date(new Date(from).getTime() + ms).toISOString();

/** The reminders of `stage` handled so far (a round starts with none handled). */
const remindersDone = (approval: AskedApproval, stage: number): number => {
  const prefix = `${roundPrefix(approval.extension?.n)}reminder-${stage}-`;
  return (approval.timersDone ?? []).filter((key) => key.startsWith(prefix)).length;
};

/**
 * The schedules that may still be waiting: per stage so far, the reminder after the last one handled
 * (each reminder owes the next, so at most one waits) and the escalation; and the expiry.
 */
const outstanding = (approval: AskedApproval): string[] => {
  const { requestId, timing } = approval;
  const round = roundOf(approval);
  const names = [scheduleNameOf(requestId, { kind: "expiry", stage: 0, ...round })];
  for (let stage = 0; stage <= approval.stage.index; stage++) {
    const n = remindersDone(approval, stage) + 1;
    if (timing?.reminders && n <= timing.reminders.max) {
      names.push(scheduleNameOf(requestId, { kind: "reminder", stage, n, ...round }));
    }
    if (
      timing?.escalation &&
      !approval.timersDone?.includes(timerKey({ kind: "escalation", stage, ...round }))
    ) {
      names.push(scheduleNameOf(requestId, { kind: "escalation", stage, ...round }));
    }
  }
  return names;
};

/**
 * The timers a write owes besides `entries`, given the approval before it (absent when the write opens
 * it) and after: those of each stage the entries start, and, when the write settles a pending approval
 * of a policy, the cancellation of the schedules it may still have. Approvals asked before policies
 * have none: the sweeper expires them.
 */
export const timersOwed = (
  before: AskedApproval | undefined,
  after: AskedApproval,
  entries: readonly OwedEntry[],
): OwedEntry[] => {
  if (!after.policy) return [];
  if (before?.status === "PENDING" && after.status !== "PENDING") return [{ cancel: outstanding(before) }];
  const { requestId, timing } = after;
  const round = roundOf(after);
  return entries.flatMap((entry) => {
    if (!("detailType" in entry) || entry.detailType !== ApprovalStageStarted.detailType) return [];
    const { stage, startedAt, expiresAt } = entry.detail;
    return [
      ...(stage.index === 0
        ? [timer({ requestId, kind: "expiry", stage: 0, ...round, dueAt: expiresAt })]
        : []),
      ...(timing?.reminders
        ? [
            timer({
              requestId,
              kind: "reminder",
              stage: stage.index,
              n: 1,
              ...round,
              dueAt: later(startedAt, timing.reminders.everyMs),
            }),
          ]
        : []),
      ...(timing?.escalation
        ? [
            timer({
              requestId,
              kind: "escalation",
              stage: stage.index,
              ...round,
              dueAt: later(startedAt, timing.escalation.afterMs),
            }),
          ]
        : []),
    ];
  });
};

/** `transition` with the timers it owes (see `timersOwed`) after its own events. */
export const withTimers = (approval: AskedApproval, transition: Transition): Transition => {
  const after = { ...approval, ...transition.set };
  const timers = timersOwed(approval, after, transition.events);
  return timers.length === 0 ? transition : { ...transition, events: [...transition.events, ...timers] };
};

/**
 * Why a due timer changes nothing, or undefined when it acts: it was set for another round, the approval
 * is no longer pending, has moved to another stage, handled this timer already (a second delivery), or
 * (an expiry) is not due yet.
 */
export const whyTimerIgnored = (approval: AskedApproval, due: TimerDue, now: Date): string | undefined => {
  if (due.extension !== approval.extension?.n) return "the timer is of another round of the approval";
  if (approval.status !== "PENDING") return `the approval is ${approval.status}`;
  if (due.kind === "expiry") {
    return Date.parse(approval.expiresAt) > now.getTime() ? "the deadline has not passed" : undefined;
  }
  if (due.stage !== approval.stage.index) return `the approval moved on to stage ${approval.stage.index}`;
  if (approval.timersDone?.includes(timerKey(due))) return "the timer was handled already";
  return undefined;
};

const handled = (approval: AskedApproval, due: TimerDue): Pick<Transition, "set"> => ({
  set: { timersDone: [...(approval.timersDone ?? []), timerKey(due)] },
});

/**
 * A reminder: owes ApproversReminded for those the stage asks who have not voted (when there are any),
 * and the next reminder while fewer than `max` went out.
 */
export const reminderTransition = (approval: AskedApproval, due: TimerDue, now: Date): Transition => {
  const reminders = approval.timing?.reminders;
  const n = due.n ?? 1;
  const notAnswered = approval.approvers.filter((approver) => !approval.voters.includes(approver));
  return {
    ...handled(approval, due),
    events: [
      ...(reminders && notAnswered.length > 0
        ? [
            owed(ApproversReminded, {
              requestId: approval.requestId,
              ...ofRound(approval),
              request: approval.request,
              ...leaseOf(approval),
              stage: approval.stage,
              approvers: notAnswered,
              quorum: approval.quorum,
              reminder: { n, max: reminders.max },
              expiresAt: approval.expiresAt,
              remindedAt: now.toISOString(),
            }),
          ]
        : []),
      ...(reminders && n < reminders.max
        ? [
            timer({
              requestId: approval.requestId,
              kind: "reminder",
              stage: due.stage,
              n: n + 1,
              ...roundOf(approval),
              // From now, not from when it was due: a reminder that fired late does not bring the next one forward.
              dueAt: later(now, reminders.everyMs),
            }),
          ]
        : []),
    ],
  };
};

/**
 * Who the policy's escalation adds to the current stage, asked of the directory now: everyone it names
 * whom the stage does not ask yet, never the requester and never anyone who voted.
 */
export const escalationApproversOf = async (
  directory: Directory,
  approval: AskedApproval,
): Promise<string[]> => {
  const escalation = approval.timing?.escalation;
  if (!escalation) return [];
  const { approvers } = await resolveStage(
    directory,
    [{ name: approval.stage.name, approvers: escalation.to, quorum: 1 }],
    0,
    requesterOf(approval.request),
    approval.voters,
  );
  return approvers.filter((approver) => !approval.approvers.includes(approver));
};

/**
 * Who the current stage asks as the policy names them: its own spec (`planned`) and, once the stage is
 * escalated, the escalation's too, so an added approver stays one while the directory still names them.
 */
export const stageSpecOf = (approval: AskedApproval, planned: Approvers): Approvers => {
  const escalation = approval.timing?.escalation;
  if (
    !escalation ||
    !approval.timersDone?.includes(
      timerKey({ kind: "escalation", stage: approval.stage.index, ...roundOf(approval) }),
    )
  ) {
    return planned;
  }
  return {
    groups: [...new Set([...planned.groups, ...escalation.to.groups])],
    emails: [...new Set([...planned.emails, ...escalation.to.emails])],
  };
};

/** An escalation: the added approvers join the stage's (one write), announced by ApprovalEscalated. */
export const escalationTransition = (
  approval: AskedApproval,
  due: TimerDue,
  added: readonly string[],
  now: Date,
): Transition => {
  const marked = handled(approval, due);
  if (added.length === 0) return { ...marked, events: [] };
  return {
    set: { ...marked.set, approvers: [...approval.approvers, ...added] },
    events: [
      owed(ApprovalEscalated, {
        requestId: approval.requestId,
        ...ofRound(approval),
        request: approval.request,
        ...leaseOf(approval),
        stage: approval.stage,
        approvers: [...added],
        quorum: approval.quorum,
        expiresAt: approval.expiresAt,
        escalatedAt: now.toISOString(),
      }),
    ],
  };
};
