import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { LeaseTimerDue } from "../../../events/lease-events.ts";
import { observe } from "../../shared/observability.ts";
import { publishOrLeaveToSweeper } from "../../shared/outbox.ts";
import { reminderOffsetsMs } from "../config.ts";
import { staleTimerRepair, type TimerDue, timerTransition, whyTimerIgnored } from "../domain.ts";
import type { OutboxPublisher } from "../outbox.ts";
import { changeLease, type LeaseStore } from "../store.ts";
import { now, publishOwed, store } from "../wiring.ts";

export interface LeaseTimerDueDeps {
  store: Pick<LeaseStore, "get" | "put">;
  publishOwed: OutboxPublisher;
  /** LEASE_REMINDERS in milliseconds, longest first. */
  reminderOffsetsMs: readonly number[];
  now: () => Date;
  logger: Logger;
}

/**
 * On LeaseTimerDue (EventBridge Scheduler puts it on the bus when a timer the lease set is due): a
 * reminder publishes LeaseExpiring once; the end makes the lease RELEASING and publishes
 * ReleaseRequested with the terms' action. The conditional write decides, so a second delivery, or
 * a timer the lease moved past (extended, released), does nothing, except that a timer of an end the
 * lease moved while it still runs owes that timer again for the end as it is (staleTimerRepair). What
 * a crash or a failure left owed is the sweeper's.
 */
export const createLeaseTimerDueHandler =
  ({ store, publishOwed, reminderOffsetsMs, now, logger }: LeaseTimerDueDeps) =>
  async (due: TimerDue): Promise<void> => {
    const at = now();
    let ignored: string | undefined;
    const { record, written, keys } = await changeLease(
      store,
      due.requestId,
      (read) => {
        ignored = whyTimerIgnored(read, due);
        return ignored ? staleTimerRepair(read, due, reminderOffsetsMs, at) : timerTransition(read, due, at);
      },
      at,
    );
    const repaired = ignored !== undefined && written !== undefined;
    logger.info(
      repaired
        ? "Lease timer ignored; owed again for the lease's end"
        : written
          ? "Lease timer handled"
          : "Lease timer ignored",
      {
        requestId: due.requestId,
        kind: due.kind,
        n: due.n,
        ...(ignored && { why: ignored }),
        ...(repaired && { endsAt: record.endsAt }),
      },
    );
    await publishOrLeaveToSweeper(publishOwed, record, keys, logger);
  };

const logger = new Logger({ serviceName: "lease" });

export const handler = middy(
  createLeaseTimerDueHandler({ store, publishOwed, reminderOffsetsMs, now, logger }),
)
  .use(injectLambdaContext(logger))
  .use(observe("lease"))
  .use(parser({ schema: LeaseTimerDue.schema, envelope: EventBridgeEnvelope }));
