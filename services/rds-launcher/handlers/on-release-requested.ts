import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { finalSnapshotIdentifierOf, type RdsRelease, rdsReleaseSchema } from "../domain.ts";
import { createReaper, type ReleaseDeps, releaseDeps } from "../reaper.ts";
import { launcherIdempotency } from "../store.ts";

/**
 * Releases a DB instance whose lease ended or that was released early: records the release (the first
 * one asked for sticks, with its final snapshot's identifier unless the policy said to delete without
 * one), schedules the reaper's first check, then asks RDS to delete the instance. The check is
 * scheduled first, so that whatever the deletion does, the reaper looks.
 */
export const createReleaseRequestedHandler = (deps: ReleaseDeps) => {
  const { store, logger } = deps;
  const reaper = createReaper(deps);
  return async ({
    requestId,
    request,
    resource,
    action,
    reason,
    by,
    requestedAt,
  }: RdsRelease): Promise<void> => {
    const release = await store.recordRelease(requestId, {
      request,
      resource,
      action,
      reason,
      ...(by && { by }),
      requestedAt,
      ...(action === "snapshot-and-delete" && {
        finalSnapshotIdentifier: finalSnapshotIdentifierOf(resource.dbInstanceIdentifier, requestedAt),
      }),
    });
    if (release.settledAt) {
      logger.info("Release already settled; redelivery ignored", { requestId });
      return;
    }
    await reaper.scheduleCheck(requestId, 0);
    await reaper.deleteInstance(requestId, release);
  };
};

const logger = new Logger({ serviceName: "rds-launcher" });

export const handler = middy(createReleaseRequestedHandler(releaseDeps(logger)))
  .use(injectLambdaContext(logger))
  .use(launcherIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: rdsReleaseSchema, envelope: EventBridgeEnvelope }));
