import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { observe } from "../../shared/observability.ts";
import type { ReleaseCheck } from "../../shared/release-checks.ts";
import {
  CREATION_TAG_KEYS,
  rdsReleaseCheckSchema,
  releaseCheckStepOf,
  stillThereProblem,
} from "../domain.ts";
import { createReaper, type ReleaseDeps, releaseDeps } from "../reaper.ts";
import { launcherIdempotency } from "../store.ts";

/**
 * The reaper's check of a release, from what RDS describes now, never from the deletion's answer: the
 * instance gone is `ResourceReleased` (with its final snapshot); still being deleted, the next check
 * is scheduled; still there otherwise, it is deleted again and the next check scheduled; still there
 * at the last check, `ReleaseFailed`, with RDS's last refusal if it gave one.
 */
export const createReleaseCheckHandler = (deps: ReleaseDeps) => {
  const { store, rds, logger } = deps;
  const reaper = createReaper(deps);
  return async ({ requestId, attempt }: ReleaseCheck): Promise<void> => {
    const release = (await store.get(requestId))?.release;
    if (!release || release.settledAt) {
      logger.info(release ? "Release already settled; check ignored" : "No release to check", { requestId });
      return;
    }
    const { region, dbInstanceIdentifier } = release.resource;
    const described = await rds.describeDbInstance(region, dbInstanceIdentifier);
    // An instance tagged for another request took the identifier since: the request's own is gone.
    const taggedFor = described?.tags[CREATION_TAG_KEYS.requestId];
    const instance = taggedFor === undefined || taggedFor === requestId ? described : undefined;
    if (!instance) {
      await reaper.released(requestId, release);
      return;
    }
    if (!(await reaper.scheduleCheck(requestId, attempt))) {
      const problem = stillThereProblem(dbInstanceIdentifier, instance.status, attempt, release.refusal);
      await reaper.failed(requestId, release, problem, attempt);
      return;
    }
    logger.info("DB instance still there", {
      requestId,
      dbInstanceIdentifier,
      status: instance.status,
      attempt,
    });
    if (releaseCheckStepOf(instance.status) === "delete-again")
      await reaper.deleteInstance(requestId, release);
  };
};

const logger = new Logger({ serviceName: "rds-launcher" });

export const handler = middy(createReleaseCheckHandler(releaseDeps(logger)))
  .use(injectLambdaContext(logger))
  .use(observe("rds-launcher"))
  .use(launcherIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: rdsReleaseCheckSchema, envelope: EventBridgeEnvelope }));
