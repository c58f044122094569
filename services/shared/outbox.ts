import type { Logger } from "@aws-lambda-powertools/logger";
import type { DetailInputOf, EventContract } from "../../events/contract.ts";
import { outgoingEvent, type Publisher, UnknownProducerError } from "../../events/publish.ts";
import { DetailValidationError } from "../../events/validation.ts";
import type { Schedules } from "./schedules.ts";

/**
 * A transactional outbox, for a service whose items each keep what they owe the bus and EventBridge
 * Scheduler: every write that changes an item puts the events and schedules it owes into the item's
 * `outbox`, in that same conditional write, keyed by their place in the item's sequence. The writer
 * then does the entries it added, in order, and takes each out once done; a sweeper does whatever a
 * crash or a failure left. The state says what is owed, so nothing is lost; the price is that a crash
 * between doing an entry and taking it out does it twice, which every consumer and a schedule's name
 * absorb.
 *
 * A writer does only the entries its own write added, never the whole outbox it read: a slow writer
 * holding an old snapshot would otherwise make a schedule again as it was before a newer write moved it.
 */

/** A one-time schedule owed: EventBridge Scheduler puts the service's timer event on the bus at `at`. */
export interface OwedSchedule<Detail> {
  schedule: { name: string; at: string; detail: Detail };
}

/** Schedules no longer needed; one that fired or was never made is no matter. */
export interface OwedCancellation {
  cancel: string[];
}

/** One event of `Contract` owed, as the item keeps it until it is on the bus. */
export type OwedEventOf<Contract extends EventContract> = {
  [C in Contract as C["detailType"]]: { detailType: C["detailType"]; detail: DetailInputOf<C> };
}[Contract["detailType"]];

/** One entry of an outbox: an event to publish, a schedule to make, or schedules to take back. */
export type OwedEntryOf<Contract extends EventContract, Timer extends EventContract> =
  | OwedEventOf<Contract>
  | OwedSchedule<DetailInputOf<Timer>>
  | OwedCancellation;

/** The outbox key of the entry at `seq`: zero-padded, so the keys sort in the order the entries are owed. */
export const outboxKey = (seq: number): string => String(seq).padStart(8, "0");

/** The entries at `firstSeq` onwards, keyed for the outbox. */
export const outboxEntries = <Entry>(firstSeq: number, entries: readonly Entry[]): Record<string, Entry> =>
  Object.fromEntries(entries.map((entry, offset) => [outboxKey(firstSeq + offset), entry]));

/** Any service's entry, as the outbox handles it whatever it owes. */
type AnyEntry = { detailType: string; detail: unknown } | OwedSchedule<unknown> | OwedCancellation;

/** An item with entries owed. */
export interface OwedBy<Entry> {
  requestId: string;
  outbox?: Record<string, Entry>;
}

/** How far ahead of now a schedule is made at the soonest, so it is not in the past when Scheduler gets it. */
const SCHEDULE_LEAD_MS = 1000;

/** A change would owe an entry that can never go out: the change is refused rather than written. */
export class UnfitOwedEntryError extends Error {
  override readonly name = "UnfitOwedEntryError";
}

export interface Outbox<Contract extends EventContract, Timer extends EventContract> {
  /** The events the service publishes itself. */
  events: readonly Contract[];
  /** The event its schedules put on the bus. */
  timer: Timer;
}

/**
 * What an outbox's entries are checked against, as the publisher and Scheduler check them: an event's
 * contract (its producer and schema), a schedule's timer contract.
 */
export const createOutbox = <Contract extends EventContract, Timer extends EventContract>({
  events,
  timer,
}: Outbox<Contract, Timer>) => {
  type Entry = OwedEntryOf<Contract, Timer>;

  const contractOf = (detailType: string): EventContract => {
    const contract = events.find((candidate) => candidate.detailType === detailType);
    if (!contract) throw new TypeError(`this service does not publish ${detailType}`);
    return contract;
  };

  /** Why the entry can never go out (its detail breaks its contract), or undefined when it can. */
  const unfitnessOf = (entry: AnyEntry): Error | undefined => {
    try {
      if ("schedule" in entry) outgoingEvent(timer, entry.schedule.detail as never);
      else if (!("cancel" in entry)) outgoingEvent(contractOf(entry.detailType), entry.detail as never);
      return undefined;
    } catch (error) {
      if (error instanceof DetailValidationError || error instanceof UnknownProducerError) return error;
      throw error;
    }
  };

  /**
   * Checks what a change owes before the write that owes it: an entry that can never go out would
   * otherwise be written, and the change would stand without what it promised the others.
   */
  const checkOwed = (requestId: string, owed: readonly Entry[]): void => {
    for (const entry of owed) {
      const unfit = unfitnessOf(entry as AnyEntry);
      if (unfit)
        throw new UnfitOwedEntryError(`A change of ${requestId} would owe what can never go out`, {
          cause: unfit,
        });
    }
  };

  /**
   * Does the owed entries of `keys` (all of the outbox when absent: the sweeper's way) in their order
   * and takes each out once done: events go on the bus, schedules to EventBridge Scheduler. One
   * failing stops the rest (thrown), so they are never done out of order; one that can never go out
   * (written before its check, or its contract since tightened) is dropped with an error log naming
   * it, so the rest proceeds.
   */
  const createOutboxPublisher =
    ({
      publisher,
      schedules,
      store,
      now,
      logger,
    }: {
      publisher: Pick<Publisher, "publish">;
      schedules: Pick<Schedules, "scheduleOnce" | "cancelSchedule">;
      store: { markDone(requestId: string, keys: readonly string[]): Promise<void> };
      now: () => Date;
      logger: Pick<Logger, "error">;
    }) =>
    async (item: OwedBy<Entry>, keys?: readonly string[]): Promise<void> => {
      const outbox = item.outbox ?? {};
      const due = (keys ?? Object.keys(outbox)).filter((key) => Object.hasOwn(outbox, key)).sort();
      const done: string[] = [];
      try {
        for (const key of due) {
          const entry = outbox[key] as AnyEntry;
          const unfit = unfitnessOf(entry);
          if (unfit) {
            logger.error("An owed entry can never go out: dropped from the outbox", {
              requestId: item.requestId,
              key,
              entry,
              error: unfit,
            });
          } else if ("schedule" in entry) {
            const { name, at, detail } = entry.schedule;
            // A schedule owed for a moment already past (an end met late, the sweeper repairing) fires
            // at once: Scheduler refuses an at() in the past.
            const when = new Date(Math.max(Date.parse(at), now().getTime() + SCHEDULE_LEAD_MS));
            await schedules.scheduleOnce({ name, at: when, contract: timer, detail: detail as never });
          } else if ("cancel" in entry) {
            for (const name of entry.cancel) await schedules.cancelSchedule(name);
          } else {
            await publisher.publish(contractOf(entry.detailType), entry.detail as never);
          }
          done.push(key);
        }
      } finally {
        if (done.length > 0) await store.markDone(item.requestId, done);
      }
    };

  return { checkOwed, createOutboxPublisher };
};

/** Does what a writer just owed, `keys` of `item`'s outbox. */
export type OutboxPublisherOf<Entry> = (item: OwedBy<Entry>, keys?: readonly string[]) => Promise<void>;

/**
 * Does what a writer just owed. A failure is logged, not thrown: the write stands and its sweeper
 * task has the sweeper do the rest shortly.
 */
export const publishOrLeaveToSweeper = async <Entry>(
  publishOwed: OutboxPublisherOf<Entry>,
  item: OwedBy<Entry>,
  keys: readonly string[] | undefined,
  logger: Pick<Logger, "error">,
): Promise<void> => {
  try {
    await publishOwed(item, keys);
  } catch (error) {
    logger.error("Doing owed events failed; the sweeper will do them", { requestId: item.requestId, error });
  }
};
