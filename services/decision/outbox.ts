import type { Logger } from "@aws-lambda-powertools/logger";
import { ApprovalEscalated } from "../../events/approval-escalated.ts";
import { ApprovalPolicyApplied } from "../../events/approval-policy-applied.ts";
import { ApprovalStageCompleted } from "../../events/approval-stage-completed.ts";
import { ApprovalStageStarted } from "../../events/approval-stage-started.ts";
import { ApprovalTimerDue } from "../../events/approval-timer-due.ts";
import { ApprovalVoteRecorded } from "../../events/approval-vote-recorded.ts";
import { ApproversReminded } from "../../events/approvers-reminded.ts";
import type { DetailInputOf, EventContract } from "../../events/contract.ts";
import { ExtensionDecided } from "../../events/lease-events.ts";
import type { Publisher } from "../../events/publish.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestCancelled } from "../../events/request-cancelled.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { RequestRejected } from "../../events/request-rejected.ts";
import type { Schedules } from "../shared/schedules.ts";

/**
 * The events decision owes the bus. Each write that changes an approval puts the events it owes into
 * the item's `outbox` in that same conditional write, keyed by their place in the request's sequence
 * (`eventSeq`); the writer publishes them and removes them, and the sweeper publishes whatever a
 * crash left there. The state says what is owed, so nothing is lost, in order; the price is that a
 * crash between a publish and its removal publishes that event a second time.
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
export type OwedEvent = {
  [C in DecisionEvent as C["detailType"]]: { detailType: C["detailType"]; detail: DetailInputOf<C> };
}[DecisionEvent["detailType"]];

/** A one-time schedule owed: EventBridge Scheduler puts its ApprovalTimerDue on the bus at `at`. */
export interface OwedSchedule {
  schedule: { name: string; at: string; detail: DetailInputOf<typeof ApprovalTimerDue> };
}

/** Schedules a settled approval no longer needs; one that fired or was never made is no matter. */
export interface OwedCancellation {
  cancel: string[];
}

/** One entry of the outbox: an event to publish, a schedule to make, or schedules to take back. */
export type OwedEntry = OwedEvent | OwedSchedule | OwedCancellation;

export const owed = <C extends DecisionEvent>(contract: C, detail: DetailInputOf<C>): OwedEvent =>
  ({ detailType: contract.detailType, detail }) as OwedEvent;

/** The outbox key of the event at `seq`: zero-padded, so the keys sort in the order the events are owed. */
export const outboxKey = (seq: number): string => String(seq).padStart(8, "0");

/** The events at `firstSeq` onwards as outbox entries. */
export const outboxEntries = (firstSeq: number, events: readonly OwedEntry[]): Record<string, OwedEntry> =>
  Object.fromEntries(events.map((event, offset) => [outboxKey(firstSeq + offset), event]));

const contractOf = (detailType: string): EventContract => {
  const contract = DECISION_EVENTS.find((candidate) => candidate.detailType === detailType);
  if (!contract) throw new TypeError(`decision does not publish ${detailType}`);
  return contract;
};

export type EventPublisher = Pick<Publisher, "publish">;

/** How far ahead of now a schedule is made at the soonest, so it is not in the past when Scheduler gets it. */
const SCHEDULE_LEAD_MS = 1000;

export type OutboxSchedules = Pick<Schedules, "scheduleOnce" | "cancelSchedule">;

/** An item with events owed: its outbox and the keys of them a caller publishes. */
export interface OwedBy {
  requestId: string;
  outbox?: Record<string, OwedEntry>;
}

export interface OutboxStore {
  markPublished(requestId: string, keys: readonly string[], at: Date): Promise<void>;
}

/**
 * Publishes the owed entries of `keys` (all of the outbox when absent) in their order and takes them
 * out of it: events go on the bus, schedules to EventBridge Scheduler. One failing stops the rest, so
 * they are never done out of order.
 */
export const createOutboxPublisher =
  ({
    publisher,
    schedules,
    store,
    now,
  }: {
    publisher: EventPublisher;
    schedules: OutboxSchedules;
    store: OutboxStore;
    now: () => Date;
  }) =>
  async (item: OwedBy, keys?: readonly string[]): Promise<void> => {
    const outbox = item.outbox ?? {};
    const due = (keys ?? Object.keys(outbox)).filter((key) => Object.hasOwn(outbox, key)).sort();
    const published: string[] = [];
    try {
      for (const key of due) {
        const entry = outbox[key] as OwedEntry;
        if ("schedule" in entry) {
          const { name, at, detail } = entry.schedule;
          // A schedule owed for a moment already past (the sweeper repairing a write late) fires at once:
          // Scheduler refuses an at() in the past.
          const soonest = now().getTime() + SCHEDULE_LEAD_MS;
          const when = new Date(Math.max(Date.parse(at), soonest));
          await schedules.scheduleOnce({ name, at: when, contract: ApprovalTimerDue, detail });
        } else if ("cancel" in entry) {
          for (const name of entry.cancel) await schedules.cancelSchedule(name);
        } else {
          await publisher.publish(contractOf(entry.detailType), entry.detail as never);
        }
        published.push(key);
      }
    } finally {
      if (published.length > 0) await store.markPublished(item.requestId, published, now());
    }
  };

export type OutboxPublisher = ReturnType<typeof createOutboxPublisher>;

/**
 * Publishes what a writer just owed. A failure is logged, not thrown: the write stands and its
 * PUBLISH task has the sweeper publish the rest shortly.
 */
export const publishOrLeaveToSweeper = async (
  publishOwed: OutboxPublisher,
  item: OwedBy,
  keys: readonly string[] | undefined,
  logger: Logger,
): Promise<void> => {
  try {
    await publishOwed(item, keys);
  } catch (error) {
    logger.error("Publishing owed events failed; the sweeper will publish them", {
      requestId: item.requestId,
      error,
    });
  }
};
