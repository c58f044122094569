import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { publisher } from "../../shared/events.ts";
import { approvalsTableName } from "../config.ts";
import { createOutcomePublisher, type OutcomePublisher } from "../outcomes.ts";
import { type ApprovalStore, createApprovalStore } from "../store.ts";

export class SweepError extends AggregateError {
  override readonly name = "SweepError";
}

export interface ExpireSweeperDeps {
  store: ApprovalStore;
  publishOutcome: OutcomePublisher;
  now: () => Date;
  logger: Logger;
}

/**
 * Runs every minute. Expires each pending approval past its deadline (the condition re-checks both,
 * so a decision that won the race stays), publishes RequestExpired, and publishes any outcome whose
 * writer died before publishing it. One item's failure does not stop the others; the run then fails
 * so the schedule's retries and alarms see it.
 */
export const createExpireSweeperHandler = ({ store, publishOutcome, now, logger }: ExpireSweeperDeps) =>
  middy()
    .use(injectLambdaContext(logger))
    .handler(async () => {
      const startedAt = now();
      const failures: unknown[] = [];
      const attempt = async (requestId: string, work: () => Promise<void>) => {
        try {
          await work();
        } catch (error) {
          logger.error("Sweeping an approval failed", { requestId, error });
          failures.push(error);
        }
      };

      for (const due of await store.listDue("EXPIRE", startedAt)) {
        await attempt(due.requestId, async () => {
          const expired = await store.expire(due.requestId, startedAt);
          if (expired) await publishOutcome(expired);
        });
      }
      for (const due of await store.listDue("PUBLISH", startedAt)) {
        await attempt(due.requestId, async () => {
          // The index lags the table: read again so an outcome published meanwhile is not sent twice.
          const current = await store.get(due.requestId);
          if (current?.sweepTask !== "PUBLISH") return;
          logger.warn("Publishing an outcome its writer left unpublished", { requestId: due.requestId });
          await publishOutcome(current);
        });
      }
      if (failures.length > 0)
        throw new SweepError(failures, `${failures.length} approvals could not be swept`);
    });

const store = createApprovalStore(approvalsTableName);
const now = () => new Date();

export const handler = createExpireSweeperHandler({
  store,
  publishOutcome: createOutcomePublisher({ publisher, store, now }),
  now,
  logger: new Logger({ serviceName: "decision" }),
});
