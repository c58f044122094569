import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { ReleaseCheckDue } from "../../../events/lease-events.ts";
import { observe } from "../../shared/observability.ts";
import { launcherIdempotency } from "../store.ts";
import { reaperLoggingTo } from "../wiring.ts";

const logger = new Logger({ serviceName: "ec2-launcher" });

/**
 * The reaper's check of a release, when its schedule is due: the whole of it is the reaper's
 * (reaper.ts). A delivery that finds the release's report being published by another one fails with
 * Powertools' `IdempotencyAlreadyInProgressError`, for the bus to retry.
 */
export const handler = middy(reaperLoggingTo(logger).check)
  .use(injectLambdaContext(logger))
  .use(observe("ec2-launcher"))
  .use(launcherIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: ReleaseCheckDue.schema, envelope: EventBridgeEnvelope }));
