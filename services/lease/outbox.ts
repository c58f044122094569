import { LeaseTimerDue } from "../../events/lease-events.ts";
import { createOutbox } from "../shared/outbox.ts";
import { LEASE_EVENTS } from "./domain.ts";

/**
 * What a lease owes the bus and EventBridge Scheduler, through the shared outbox
 * (services/shared/outbox.ts). Each change writes what it owes into the item's `outbox` in the same
 * conditional write, once each entry is checked against its contract; whoever made the change then
 * does the entries it added, in order, and takes them out. What a crash or a failure left is the
 * sweeper's, once the writer had its chance. The price is that a crash between doing one and taking
 * it out does it twice: every consumer of these events is idempotent, and a schedule's name makes it
 * once.
 */
export const { checkOwed, createOutboxPublisher } = createOutbox({
  events: LEASE_EVENTS,
  timer: LeaseTimerDue,
});

export type OutboxPublisher = ReturnType<typeof createOutboxPublisher>;
