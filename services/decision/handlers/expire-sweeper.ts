import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { publisher } from "../../shared/events.ts";
import { observe } from "../../shared/observability.ts";
import { approvalsTableName } from "../config.ts";
import { createOutboxPublisher, type OutboxPublisher } from "../outbox.ts";
import { type ApprovalStore, createApprovalStore, expiryCondition } from "../store.ts";
import { expireTransition } from "../transitions.ts";
import { schedules } from "../wiring.ts";

export class SweepError extends AggregateError {
  override readonly name = "SweepError";
}

export interface ExpireSweeperDeps {
  store: ApprovalStore;
  publishOwed: OutboxPublisher;
  now: () => Date;
  logger: Logger;
}

/**
 * Runs every minute. Expires each pending approval past its deadline that no expiry schedule expired
 * (approvals asked before policies; for the others a safety net, see timers.ts): the condition re-checks
 * both, so a vote that won the race stays; a vote meanwhile leaves it to the next run. Publishes
 * RequestExpired, and publishes any event, or makes any schedule, whose writer died before it could. One item's failure does not stop the others; the run then fails
 * so the schedule's retries and alarms see it.
 */
export const createExpireSweeperHandler = ({ store, publishOwed, now, logger }: ExpireSweeperDeps) =>
  middy()
    .use(injectLambdaContext(logger))
    .use(observe("decision"))
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
          const current = await store.get(due.requestId);
          if (current?.status !== "PENDING") return;
          const expired = await store.apply(
            current,
            expireTransition(current, startedAt),
            startedAt,
            expiryCondition(startedAt),
          );
          if (expired) await publishOwed(expired.approval, expired.keys);
        });
      }
      for (const due of await store.listDue("PUBLISH", startedAt)) {
        await attempt(due.requestId, async () => {
          // The index lags the table: read again so an outcome published meanwhile is not sent twice.
          const current = await store.get(due.requestId);
          if (current?.sweepTask !== "PUBLISH") return;
          if (current.status === "DECIDED_EARLY" || current.status === "WITHDRAWN_EARLY") return;
          logger.warn("Publishing events their writer left unpublished", { requestId: due.requestId });
          await publishOwed(current);
          // Nothing was left (its writer published it all meanwhile): only the task is still to clear.
          if (Object.keys(current.outbox ?? {}).length === 0) {
            await store.markPublished(due.requestId, [], now());
          }
        });
      }
      if (failures.length > 0)
        throw new SweepError(failures, `${failures.length} approvals could not be swept`);
    });

const store = createApprovalStore(approvalsTableName);
const now = () => new Date();

export const handler = createExpireSweeperHandler({
  store,
  publishOwed: createOutboxPublisher({ publisher, schedules, store, now }),
  now,
  logger: new Logger({ serviceName: "decision" }),
});
