import type { Logger } from "@aws-lambda-powertools/logger";
import type { Publisher } from "../../events/publish.ts";
import { type ApprovalRecord, outcomeOf } from "./domain.ts";
import type { ApprovalStore } from "./store.ts";

export type EventPublisher = Pick<Publisher, "publish">;

/**
 * Publishes the event a settled item owes (approved, rejected, expired), then takes it off
 * the sweeper's list. The state change is written first and marks the item PUBLISH-due, so a crash
 * between the write and the publish leaves the event to the sweeper instead of losing it; the price
 * is that a crash after the publish but before the mark publishes the event a second time.
 */
export const createOutcomePublisher =
  ({ publisher, store, now }: { publisher: EventPublisher; store: ApprovalStore; now: () => Date }) =>
  async (record: ApprovalRecord): Promise<void> => {
    const outcome = outcomeOf(record);
    if (!outcome) return;
    await publisher.publish(outcome.contract, outcome.detail);
    await store.markOutcomePublished(record.requestId, now());
  };

export type OutcomePublisher = ReturnType<typeof createOutcomePublisher>;

/**
 * Publishes the outcome of a decision its writer just recorded. A failure is logged, not thrown: the
 * decision stands and its PUBLISH task has the sweeper publish it shortly.
 */
export const publishOrLeaveToSweeper = async (
  publishOutcome: OutcomePublisher,
  record: ApprovalRecord,
  logger: Logger,
): Promise<void> => {
  try {
    await publishOutcome(record);
  } catch (error) {
    logger.error("Publishing the decision failed; the sweeper will publish it", {
      requestId: record.requestId,
      error,
    });
  }
};
