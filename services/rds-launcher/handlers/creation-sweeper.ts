import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { observe } from "../../shared/observability.ts";
import { createSettler, type SettleDeps, settleDeps } from "../settle.ts";
import { launcherIdempotency } from "../store.ts";

export class SweepError extends AggregateError {
  override readonly name = "SweepError";
}

/**
 * Runs on a schedule: settles each creation whose check is due and that no `aws.rds` event settled,
 * since RDS's events are best effort and a lost one must not leave a request provisioning for ever.
 * One creation's failure does not stop the others; the run then fails, so its alarms see it, and the
 * next run tries again.
 */
export const createCreationSweeperHandler = (deps: SettleDeps) => {
  const settle = createSettler(deps);
  return async (): Promise<void> => {
    const failures: unknown[] = [];
    for (const due of await deps.store.listUnsettled(deps.now())) {
      try {
        // The index lags the table: read again so a creation settled meanwhile asks RDS nothing.
        const creation = await deps.store.get(due.requestId);
        if (!creation || creation.settledAt) continue;
        const result = await settle(creation);
        if (result !== "pending") {
          deps.logger.warn("Settled a creation no event settled", { requestId: due.requestId, result });
        }
      } catch (error) {
        deps.logger.error("Checking a creation failed", { requestId: due.requestId, error });
        failures.push(error);
      }
    }
    if (failures.length > 0) {
      throw new SweepError(failures, `${failures.length} creations could not be checked`);
    }
  };
};

const logger = new Logger({ serviceName: "rds-launcher" });

export const handler = middy(createCreationSweeperHandler(settleDeps(logger)))
  .use(injectLambdaContext(logger))
  .use(observe("rds-launcher"))
  .use(launcherIdempotency.lambdaContextMiddleware);
