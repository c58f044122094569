import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { observe } from "../../shared/observability.ts";
import { releaseRequestedHandler } from "../../shared/release-handler.ts";
import type { Reaper } from "../reaper.ts";
import { ec2ReleaseRequestSchema } from "../release.ts";
import { type LaunchStore, launchStore } from "../store.ts";
import { reaperLoggingTo } from "../wiring.ts";

export interface ReleaseRequestedDeps {
  store: LaunchStore;
  reaper: Pick<Reaper, "start">;
  logger: Logger;
}

/**
 * Releases the instance of a lease that ended or was released early (services/shared/release-handler.ts):
 * the reaper's first check is scheduled, then the instance is stopped or terminated as the release says.
 */
export const createReleaseRequestedHandler = ({ store, reaper, logger }: ReleaseRequestedDeps) =>
  releaseRequestedHandler({ store, logger, start: reaper.start });

const logger = new Logger({ serviceName: "ec2-launcher" });

export const handler = middy(
  createReleaseRequestedHandler({ store: launchStore, reaper: reaperLoggingTo(logger), logger }),
)
  .use(injectLambdaContext(logger))
  .use(observe("ec2-launcher"))
  .use(parser({ schema: ec2ReleaseRequestSchema, envelope: EventBridgeEnvelope }));
