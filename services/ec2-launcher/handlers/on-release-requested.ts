import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import type { Reaper } from "../reaper.ts";
import { type Ec2ReleaseRequest, ec2ReleaseRequestSchema } from "../release.ts";
import { type LaunchStore, launchStore } from "../store.ts";
import { reaperLoggingTo } from "../wiring.ts";

export interface ReleaseRequestedDeps {
  store: LaunchStore;
  reaper: Pick<Reaper, "act">;
  logger: Logger;
}

/**
 * Releases the instance of a lease that ended or was released early: records the release (the first
 * one asked sticks, with its action and reason, until it fails: then a later one is a new release),
 * stops or terminates the instance as it says, and has the reaper check it. A redelivery acts again,
 * which EC2 takes as a repeat, and moves the same first check.
 */
export const createReleaseRequestedHandler =
  ({ store, reaper, logger }: ReleaseRequestedDeps) =>
  async ({
    requestId,
    request,
    resource,
    action,
    reason,
    by,
    requestedAt,
  }: Ec2ReleaseRequest): Promise<void> => {
    const asked = { request, resource, action, reason, by, requestedAt, attempts: 0 };
    const release = await store.recordRelease(requestId, asked);
    if (release.requestedAt !== requestedAt)
      logger.info("Released already as an earlier request asked", { requestId, ...release.resource });
    await reaper.act(requestId, release);
  };

const logger = new Logger({ serviceName: "ec2-launcher" });

export const handler = middy(
  createReleaseRequestedHandler({ store: launchStore, reaper: reaperLoggingTo(logger), logger }),
)
  .use(injectLambdaContext(logger))
  .use(parser({ schema: ec2ReleaseRequestSchema, envelope: EventBridgeEnvelope }));
