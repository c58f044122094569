import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { observe } from "../../shared/observability.ts";
import type { OutboxPublisher } from "../outbox.ts";
import type { LeaseStore } from "../store.ts";
import { now, publishOwed, store } from "../wiring.ts";

export class LeaseSweepError extends AggregateError {
  override readonly name = "LeaseSweepError";
}

export interface OutboxSweeperDeps {
  store: Pick<LeaseStore, "get" | "listDue">;
  publishOwed: OutboxPublisher;
  now: () => Date;
  logger: Logger;
}

/**
 * Runs every minute: does what a lease's outbox still holds once its writer had its chance (an HTTP
 * call that died after its write; an event's handler is also redelivered). One lease's failure does
 * not stop the others; the run then fails so its retries and alarms see it.
 */
export const createOutboxSweeper =
  ({ store, publishOwed, now, logger }: OutboxSweeperDeps) =>
  async (): Promise<void> => {
    const failures: unknown[] = [];
    for (const { requestId } of await store.listDue(now())) {
      try {
        // The index lags the table: read again so what was done meanwhile is not done twice.
        const current = await store.get(requestId);
        if (current) await publishOwed(current);
      } catch (error) {
        logger.error("Doing a lease's owed events failed", { requestId, error });
        failures.push(error);
      }
    }
    if (failures.length > 0)
      throw new LeaseSweepError(failures, `${failures.length} leases could not be swept`);
  };

const logger = new Logger({ serviceName: "lease" });

export const handler = middy(createOutboxSweeper({ store, publishOwed, now, logger }))
  .use(injectLambdaContext(logger))
  .use(observe("lease"));
