import { Logger } from "@aws-lambda-powertools/logger";
import { ApprovalEscalated } from "../../events/approval-escalated.ts";
import { ApprovalPolicyApplied } from "../../events/approval-policy-applied.ts";
import { ApprovalStageCompleted } from "../../events/approval-stage-completed.ts";
import { ApprovalStageStarted } from "../../events/approval-stage-started.ts";
import { ApprovalTimerDue } from "../../events/approval-timer-due.ts";
import { ApprovalVoteRecorded } from "../../events/approval-vote-recorded.ts";
import { ApproversReminded } from "../../events/approvers-reminded.ts";
import type { DetailInputOf } from "../../events/contract.ts";
import { ExtensionDecided } from "../../events/lease-events.ts";
import type { Publisher } from "../../events/publish.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestCancelled } from "../../events/request-cancelled.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { RequestRejected } from "../../events/request-rejected.ts";
import {
  type BusinessMetrics,
  businessMetricsOf,
  metricsOf,
  millisecondsSince,
} from "../shared/observability.ts";
import {
  createOutbox,
  type OwedBy,
  type OwedCancellation,
  type OwedEntryOf,
  type OwedEventOf,
  outboxEntries,
  publishOrLeaveToSweeper,
  type OwedSchedule as SharedOwedSchedule,
} from "../shared/outbox.ts";
import type { Schedules } from "../shared/schedules.ts";

/**
 * The events decision owes the bus, through the shared outbox (services/shared/outbox.ts). Each write
 * that changes an approval puts the events it owes into the item's `outbox` in that same conditional
 * write, keyed by their place in the request's sequence (`eventSeq`); the writer publishes the ones it
 * added and removes them, and the sweeper publishes whatever a crash left there. The state says what
 * is owed, so nothing is lost, in order; the price is that a crash between a publish and its removal
 * publishes that event a second time.
 *
 * The outbox owes schedules the same way (timers.ts): a one-time schedule to make, or the schedules of
 * a settled approval to take back, so a crash between the write and EventBridge Scheduler loses none.
 */

export const DECISION_EVENTS = [
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

type DecisionEvent = (typeof DECISION_EVENTS)[number];

/** One event owed, as the item keeps it until it is on the bus. */
export type OwedEvent = OwedEventOf<DecisionEvent>;

/** A one-time schedule owed: EventBridge Scheduler puts its ApprovalTimerDue on the bus at `at`. */
export type OwedSchedule = SharedOwedSchedule<DetailInputOf<typeof ApprovalTimerDue>>;

export type { OwedCancellation };

/** One entry of the outbox: an event to publish, a schedule to make, or schedules to take back. */
export type OwedEntry = OwedEntryOf<DecisionEvent, typeof ApprovalTimerDue>;

export const owed = <C extends DecisionEvent>(contract: C, detail: DetailInputOf<C>): OwedEvent =>
  ({ detailType: contract.detailType, detail }) as OwedEvent;

export { outboxEntries };

const outbox = createOutbox({ events: DECISION_EVENTS, timer: ApprovalTimerDue });

export type EventPublisher = Pick<Publisher, "publish">;

export interface OutboxStore {
  markPublished(requestId: string, keys: readonly string[], at: Date): Promise<void>;
}

/**
 * The publisher of one approval's owed events that counts its outcome once it is on the bus: approved
 * or rejected (with the time from the approval's opening, when the request was accepted, to the
 * decision), or expired. The outcome is owed once, so it is counted once, but for the rare second
 * publication of an event after a crash between its publish and its removal from the outbox.
 */
const countingOutcomes = (
  approval: OwedBy<OwedEntry> & { createdAt?: string },
  publisher: EventPublisher,
  metrics: BusinessMetrics,
): EventPublisher => ({
  publish: async (contract, detail) => {
    const ids = await publisher.publish(contract, detail);
    const { decidedAt } = detail as { decidedAt?: string };
    if (contract.detailType === RequestExpired.detailType) metrics.count("ApprovalsExpired");
    if (
      contract.detailType === RequestApproved.detailType ||
      contract.detailType === RequestRejected.detailType
    ) {
      metrics.count("ApprovalsDecided", {
        outcome: contract.detailType === RequestApproved.detailType ? "approved" : "rejected",
      });
      if (approval.createdAt && decidedAt)
        metrics.duration("TimeToDecision", millisecondsSince(approval.createdAt, new Date(decidedAt)));
    }
    return ids;
  },
});

/**
 * Publishes the owed entries of `keys` (all of the outbox when absent) in their order and takes them
 * out of it (services/shared/outbox.ts): events go on the bus, schedules to EventBridge Scheduler.
 */
export const createOutboxPublisher =
  ({
    publisher,
    schedules,
    store,
    now,
    logger = new Logger({ serviceName: "decision" }),
    metrics = businessMetricsOf(metricsOf("decision")),
  }: {
    publisher: EventPublisher;
    schedules: Pick<Schedules, "scheduleOnce" | "cancelSchedule">;
    store: OutboxStore;
    now: () => Date;
    logger?: Pick<Logger, "error">;
    metrics?: BusinessMetrics;
  }) =>
  (approval: OwedBy<OwedEntry> & { createdAt?: string }, keys?: readonly string[]): Promise<void> =>
    outbox.createOutboxPublisher({
      publisher: countingOutcomes(approval, publisher, metrics),
      schedules,
      store: { markDone: (requestId, keys) => store.markPublished(requestId, keys, now()) },
      now,
      logger,
    })(approval, keys);

export type OutboxPublisher = ReturnType<typeof createOutboxPublisher>;

/** Publishes what a writer just owed; a failure is logged, and the PUBLISH task leaves it to the sweeper. */
export { publishOrLeaveToSweeper };
