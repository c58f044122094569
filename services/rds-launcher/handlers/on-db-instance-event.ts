import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import type { DetailOf } from "../../../events/contract.ts";
import { RdsDbInstanceEvent } from "../../../events/rds-instance-event.ts";
import { businessMetricsOf, metricsOf, observe } from "../../shared/observability.ts";
import { createReaper, type ReleaseDeps, releaseDeps } from "../reaper.ts";
import { createSettler, type SettleDeps } from "../settle.ts";
import { launcherIdempotency } from "../store.ts";

/**
 * Settles a creation when RDS reports on its instance (created, failed, deleted): the instance is
 * described to confirm, since the event's category alone does not say whether it can be connected to.
 * Events of instances the launcher did not create are ignored; a creation already settled asks RDS
 * nothing, but for the deletion of a provisioned instance with no release recorded: deleted outside
 * this tool while its lease ran, it is reported released. A delivery that finds the outcome being published by another one fails with Powertools'
 * `IdempotencyAlreadyInProgressError`, for the bus to retry.
 */
export const createDbInstanceEventHandler = (deps: ReleaseDeps & Pick<SettleDeps, "metrics">) => {
  const settle = createSettler(deps);
  const reaper = createReaper(deps);
  return async ({
    SourceIdentifier: identifier,
    EventCategories: categories,
    Message,
  }: DetailOf<typeof RdsDbInstanceEvent>) => {
    const indexed = await deps.store.findByIdentifier(identifier);
    // The index may lag: whether the instance was provisioned, and released, is read from the creation itself.
    const creation = indexed && (await deps.store.get(indexed.requestId));
    if (categories.includes("deletion") && creation?.provisionedAt && !creation.release) {
      await reaper.endedOutside(creation);
      return;
    }
    if (!creation || creation.permanentFailure || creation.settledAt) {
      deps.logger.debug("Event of a DB instance with no creation to settle; ignored", { identifier });
      return;
    }
    const result = await settle(creation, Message);
    if (result === "pending") {
      deps.logger.info("DB instance not settled yet; a later event or the sweeper settles it", {
        identifier,
      });
    }
  };
};

const logger = new Logger({ serviceName: "rds-launcher" });

export const handler = middy(
  createDbInstanceEventHandler({
    ...releaseDeps(logger),
    metrics: businessMetricsOf(metricsOf("rds-launcher")),
  }),
)
  .use(injectLambdaContext(logger))
  .use(observe("rds-launcher"))
  .use(launcherIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: RdsDbInstanceEvent.schema, envelope: EventBridgeEnvelope }));
