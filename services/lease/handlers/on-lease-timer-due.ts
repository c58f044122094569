import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { LeaseTimerDue } from "../../../events/lease-events.ts";
import { type TimerDue, timerTransition, whyTimerIgnored } from "../domain.ts";
import type { OutboxPublisher } from "../outbox.ts";
import { changeLease, type LeaseStore } from "../store.ts";
import { now, publishOwed, store } from "../wiring.ts";

export interface LeaseTimerDueDeps {
  store: Pick<LeaseStore, "get" | "put">;
  publishOwed: OutboxPublisher;
  now: () => Date;
  logger: Logger;
}

/**
 * On LeaseTimerDue (EventBridge Scheduler puts it on the bus when a timer the lease set is due): a
 * reminder publishes LeaseExpiring once; the end makes the lease RELEASING and publishes
 * ReleaseRequested with the terms' action. The conditional write decides, so a second delivery, or
 * a timer the lease moved past (extended, released), does nothing; what a crash left owed is done by
 * the next delivery.
 */
export const createLeaseTimerDueHandler =
  ({ store, publishOwed, now, logger }: LeaseTimerDueDeps) =>
  async (due: TimerDue): Promise<void> => {
    const at = now();
    let ignored: string | undefined;
    const { record, written } = await changeLease(
      store,
      due.requestId,
      (read) => {
        ignored = whyTimerIgnored(read, due);
        return ignored ? undefined : timerTransition(read, due, at);
      },
      at,
    );
    logger.info(written ? "Lease timer handled" : "Lease timer ignored", {
      requestId: due.requestId,
      kind: due.kind,
      n: due.n,
      ...(ignored && { why: ignored }),
    });
    await publishOwed(record);
  };

const logger = new Logger({ serviceName: "lease" });

export const handler = middy(createLeaseTimerDueHandler({ store, publishOwed, now, logger }))
  .use(injectLambdaContext(logger))
  .use(parser({ schema: LeaseTimerDue.schema, envelope: EventBridgeEnvelope }));
