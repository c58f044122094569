import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { observe } from "../../shared/observability.ts";
import { releaseRequestedHandler } from "../../shared/release-handler.ts";
import { finalSnapshotIdentifierOf, type RdsRelease, rdsReleaseSchema } from "../domain.ts";
import { createReaper, type ReleaseDeps, releaseDeps } from "../reaper.ts";
import { launcherIdempotency } from "../store.ts";

/**
 * Releases a DB instance whose lease ended or that was released early (services/shared/release-handler.ts),
 * with its final snapshot's identifier unless the policy said to delete without one: the reaper's first
 * check is scheduled, then RDS is asked to delete the instance.
 */
export const createReleaseRequestedHandler = (deps: ReleaseDeps) =>
  releaseRequestedHandler({
    store: deps.store,
    logger: deps.logger,
    start: createReaper(deps).start,
    ownFieldsOf: ({ resource, action, requestedAt }: RdsRelease) =>
      action === "snapshot-and-delete"
        ? { finalSnapshotIdentifier: finalSnapshotIdentifierOf(resource.dbInstanceIdentifier, requestedAt) }
        : {},
  });

const logger = new Logger({ serviceName: "rds-launcher" });

export const handler = middy(createReleaseRequestedHandler(releaseDeps(logger)))
  .use(injectLambdaContext(logger))
  .use(observe("rds-launcher"))
  .use(launcherIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: rdsReleaseSchema, envelope: EventBridgeEnvelope }));
