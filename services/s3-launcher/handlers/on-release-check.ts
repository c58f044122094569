import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { observe } from "../../shared/observability.ts";
import type { ReleaseCheck } from "../../shared/release-checks.ts";
import { bucketReleaseCheckSchema, stillThereProblem } from "../domain.ts";
import { createReaper, type ReleaseDeps, releaseDeps } from "../reaper.ts";
import { launcherIdempotency } from "../store.ts";

/**
 * The reaper's check of a bucket's release, from what S3 answers now (HeadBucket), never from the
 * deletion's answer: the bucket gone is `ResourceReleased`; still there and empty, it is deleted again
 * and the next check scheduled; holding objects by now, it is kept; still there at the last check,
 * `ReleaseFailed`.
 */
export const createReleaseCheckHandler = (deps: ReleaseDeps) => {
  const { store, s3In, logger } = deps;
  const reaper = createReaper(deps);
  return async ({ requestId, attempt }: ReleaseCheck): Promise<void> => {
    const release = (await store.getLease(requestId))?.release;
    if (!release || release.settledAt) {
      logger.info(release ? "Release already settled; check ignored" : "No release to check", { requestId });
      return;
    }
    const { bucketName, region } = release.resource;
    if (!(await s3In(region).bucketExists(bucketName))) {
      await reaper.released(requestId, release);
      return;
    }
    logger.info("Bucket still there", { requestId, bucketName, attempt });
    if ((await reaper.deleteIfEmpty(requestId, release, attempt)) === "used-up") {
      await reaper.failed(requestId, release, {
        problem: stillThereProblem(bucketName, attempt),
        kept: false,
        attempts: attempt,
      });
    }
  };
};

const logger = new Logger({ serviceName: "s3-launcher" });

export const handler = middy(createReleaseCheckHandler(releaseDeps(logger)))
  .use(injectLambdaContext(logger))
  .use(observe("s3-launcher"))
  .use(launcherIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: bucketReleaseCheckSchema, envelope: EventBridgeEnvelope }));
