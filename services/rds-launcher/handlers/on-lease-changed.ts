import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { EXPIRES_AT_TAG } from "../../../events/lease.ts";
import { observe } from "../../shared/observability.ts";
import { expiresAtValueOf } from "../../shared/release-checks.ts";
import { type RdsLeaseChange, rdsLeaseChangeSchema } from "../domain.ts";
import { type RdsGateway, rdsGateway, UnexpectedRdsResponseError } from "../rds.ts";
import { type CreationStore, creationStore } from "../store.ts";

export interface LeaseChangedDeps {
  store: CreationStore;
  rds: RdsGateway;
  logger: Logger;
}

/**
 * Tags the DB instance `ExpiresAt` with its lease's end when the lease starts and each time it is
 * extended. An end earlier than one already tagged (the events came out of order) changes nothing;
 * an instance gone already has nothing to tag.
 */
export const createLeaseChangedHandler =
  ({ store, rds, logger }: LeaseChangedDeps) =>
  async ({ requestId, resource, endsAt }: RdsLeaseChange): Promise<void> => {
    const { region, dbInstanceIdentifier } = resource;
    const expiresAt = expiresAtValueOf(endsAt);
    if (!(await store.recordExpiresAt(requestId, expiresAt))) {
      logger.info("A later end is tagged already; event ignored", { requestId, endsAt });
      return;
    }
    const instance = await rds.describeDbInstance(region, dbInstanceIdentifier);
    if (!instance) {
      logger.warn("The DB instance is gone; nothing to tag", { requestId, dbInstanceIdentifier });
      return;
    }
    if (!instance.arn) {
      throw new UnexpectedRdsResponseError(
        `DescribeDBInstances answered without the ARN of ${dbInstanceIdentifier}`,
      );
    }
    await rds.addTags(region, instance.arn, [{ Key: EXPIRES_AT_TAG, Value: expiresAt }]);
    logger.info("DB instance tagged with its lease's end", { requestId, dbInstanceIdentifier, expiresAt });
  };

const logger = new Logger({ serviceName: "rds-launcher" });

export const handler = middy(createLeaseChangedHandler({ store: creationStore, rds: rdsGateway, logger }))
  .use(injectLambdaContext(logger))
  .use(observe("rds-launcher"))
  .use(parser({ schema: rdsLeaseChangeSchema, envelope: EventBridgeEnvelope }));
