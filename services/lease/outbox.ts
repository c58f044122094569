import type { EventContract } from "../../events/contract.ts";
import { LeaseTimerDue } from "../../events/lease-events.ts";
import type { Publisher } from "../../events/publish.ts";
import type { Schedules } from "../shared/schedules.ts";
import { LEASE_EVENTS, type LeaseRecord, type OwedEntry } from "./domain.ts";
import type { LeaseStore } from "./store.ts";

/**
 * What a lease owes the bus and EventBridge Scheduler. Each change writes what it owes into the item's
 * `outbox` in the same conditional write; whoever made the change then does them in order and takes
 * them out. A crash between the write and the last of them leaves the rest in the outbox: the next
 * delivery of the same event (the bus redelivers what a handler did not finish) does them, and the
 * sweeper does what an HTTP call left. The price is that a crash between doing one and taking it out
 * does it twice: every consumer of these events is idempotent, and a schedule's name makes it once.
 */

const contractOf = (detailType: string): EventContract => {
  const contract = LEASE_EVENTS.find((candidate) => candidate.detailType === detailType);
  if (!contract) throw new TypeError(`the lease service does not publish ${detailType}`);
  return contract;
};

/** How far ahead of now a schedule is made at the soonest: Scheduler refuses an at() in the past. */
const SCHEDULE_LEAD_MS = 1000;

export interface OutboxDeps {
  publisher: Pick<Publisher, "publish">;
  schedules: Pick<Schedules, "scheduleOnce" | "cancelSchedule">;
  store: Pick<LeaseStore, "markDone">;
  now: () => Date;
}

/**
 * Does everything the lease's outbox holds, in order, and takes each out once done. One failing stops
 * the rest (thrown), so they are never done out of order.
 */
export const createOutboxPublisher =
  ({ publisher, schedules, store, now }: OutboxDeps) =>
  async (record: Pick<LeaseRecord, "requestId" | "outbox">): Promise<void> => {
    const outbox = record.outbox ?? {};
    const done: string[] = [];
    try {
      for (const key of Object.keys(outbox).sort()) {
        const entry = outbox[key] as OwedEntry;
        if ("schedule" in entry) {
          const { name, at, detail } = entry.schedule;
          // A timer owed for a moment already past (an end met late, a sweeper repairing) fires at once.
          const when = new Date(Math.max(Date.parse(at), now().getTime() + SCHEDULE_LEAD_MS));
          await schedules.scheduleOnce({ name, at: when, contract: LeaseTimerDue, detail });
        } else if ("cancel" in entry) {
          for (const name of entry.cancel) await schedules.cancelSchedule(name);
        } else {
          await publisher.publish(contractOf(entry.detailType), entry.detail as never);
        }
        done.push(key);
      }
    } finally {
      if (done.length > 0) await store.markDone(record.requestId, done);
    }
  };

export type OutboxPublisher = ReturnType<typeof createOutboxPublisher>;
