import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { observe } from "../../shared/observability.ts";
import { type Ec2Gateway, ec2Gateway } from "../ec2.ts";
import { type Ec2LeaseEnd, ec2LeaseEndSchema, expiresAtTagOf } from "../release.ts";
import { type LaunchStore, launchStore } from "../store.ts";

export interface LeaseChangedDeps {
  store: LaunchStore;
  ec2: Ec2Gateway;
  logger: Logger;
}

/**
 * Tags the instance `ExpiresAt` with its lease's end (`never` for none), in the instance's region,
 * when the lease starts and each time an extension moves it. An end older than the one recorded (a late
 * delivery) tags nothing; a redelivery of the latest tags the same again.
 */
export const createLeaseChangedHandler =
  ({ store, ec2, logger }: LeaseChangedDeps) =>
  async ({ requestId, resource, endsAt }: Ec2LeaseEnd): Promise<void> => {
    const tag = expiresAtTagOf(endsAt);
    if (!(await store.recordExpiresAt(requestId, tag.Value))) {
      logger.info("A later end is tagged already; this one ignored", { requestId, endsAt });
      return;
    }
    await ec2.tagInstance(resource.region, resource.instanceId, [tag]);
    logger.info("Instance tagged with its lease's end", {
      requestId,
      instanceId: resource.instanceId,
      endsAt,
    });
  };

const logger = new Logger({ serviceName: "ec2-launcher" });

export const handler = middy(createLeaseChangedHandler({ store: launchStore, ec2: ec2Gateway, logger }))
  .use(injectLambdaContext(logger))
  .use(observe("ec2-launcher"))
  .use(parser({ schema: ec2LeaseEndSchema, envelope: EventBridgeEnvelope }));
