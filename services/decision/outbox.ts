import type { Logger } from "@aws-lambda-powertools/logger";
import { ApprovalPolicyApplied } from "../../events/approval-policy-applied.ts";
import { ApprovalStageCompleted } from "../../events/approval-stage-completed.ts";
import { ApprovalStageStarted } from "../../events/approval-stage-started.ts";
import { ApprovalVoteRecorded } from "../../events/approval-vote-recorded.ts";
import type { DetailInputOf, EventContract } from "../../events/contract.ts";
import type { Publisher } from "../../events/publish.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { RequestRejected } from "../../events/request-rejected.ts";

/**
 * The events decision owes the bus. Each write that changes an approval puts the events it owes into
 * the item's `outbox` in that same conditional write, keyed by their place in the request's sequence
 * (`eventSeq`); the writer publishes them and removes them, and the sweeper publishes whatever a
 * crash left there. The state says what is owed, so nothing is lost, in order; the price is that a
 * crash between a publish and its removal publishes that event a second time.
 */

export const DECISION_EVENTS = [
  ApprovalPolicyApplied,
  ApprovalStageStarted,
  ApprovalVoteRecorded,
  ApprovalStageCompleted,
  RequestApproved,
  RequestRejected,
  RequestExpired,
] as const;

type DecisionEvent = (typeof DECISION_EVENTS)[number];

/** One event owed, as the item keeps it until it is on the bus. */
export type OwedEvent = {
  [C in DecisionEvent as C["detailType"]]: { detailType: C["detailType"]; detail: DetailInputOf<C> };
}[DecisionEvent["detailType"]];

export const owed = <C extends DecisionEvent>(contract: C, detail: DetailInputOf<C>): OwedEvent =>
  ({ detailType: contract.detailType, detail }) as OwedEvent;

/** The outbox key of the event at `seq`: zero-padded, so the keys sort in the order the events are owed. */
export const outboxKey = (seq: number): string => String(seq).padStart(8, "0");

/** The events at `firstSeq` onwards as outbox entries. */
export const outboxEntries = (firstSeq: number, events: readonly OwedEvent[]): Record<string, OwedEvent> =>
  Object.fromEntries(events.map((event, offset) => [outboxKey(firstSeq + offset), event]));

const contractOf = (detailType: string): EventContract => {
  const contract = DECISION_EVENTS.find((candidate) => candidate.detailType === detailType);
  if (!contract) throw new TypeError(`decision does not publish ${detailType}`);
  return contract;
};

export type EventPublisher = Pick<Publisher, "publish">;

/** An item with events owed: its outbox and the keys of them a caller publishes. */
export interface OwedBy {
  requestId: string;
  outbox?: Record<string, OwedEvent>;
}

export interface OutboxStore {
  markPublished(requestId: string, keys: readonly string[], at: Date): Promise<void>;
}

/**
 * Publishes the owed events of `keys` (all of the outbox when absent) in their order and takes them
 * out of it. One publish failing stops the rest, so they are never published out of order.
 */
export const createOutboxPublisher =
  ({ publisher, store, now }: { publisher: EventPublisher; store: OutboxStore; now: () => Date }) =>
  async (item: OwedBy, keys?: readonly string[]): Promise<void> => {
    const outbox = item.outbox ?? {};
    const due = (keys ?? Object.keys(outbox)).filter((key) => Object.hasOwn(outbox, key)).sort();
    const published: string[] = [];
    try {
      for (const key of due) {
        const event = outbox[key] as OwedEvent;
        await publisher.publish(contractOf(event.detailType), event.detail as never);
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
