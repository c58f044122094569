import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { observe } from "../../shared/observability.ts";
import { releaseRequestedHandler } from "../../shared/release-handler.ts";
import { bucketReleaseSchema } from "../domain.ts";
import { createReaper, type ReleaseDeps, releaseDeps } from "../reaper.ts";
import { launcherIdempotency } from "../store.ts";

/**
 * Releases a bucket whose lease ended or that was released early (services/shared/release-handler.ts):
 * deletes the bucket only if it is empty, with the reaper's first check
 * scheduled before; a bucket that holds objects is kept, never emptied, and the release fails at once
 * saying so (ReleaseFailed with `kept`), for the requester and the operators to decide.
 */
export const createReleaseRequestedHandler = (deps: ReleaseDeps) =>
  releaseRequestedHandler({ store: deps.store, logger: deps.logger, start: createReaper(deps).start });

const logger = new Logger({ serviceName: "s3-launcher" });

export const handler = middy(createReleaseRequestedHandler(releaseDeps(logger)))
  .use(injectLambdaContext(logger))
  .use(observe("s3-launcher"))
  .use(launcherIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: bucketReleaseSchema, envelope: EventBridgeEnvelope }));
