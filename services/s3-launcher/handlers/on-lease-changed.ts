import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { EXPIRES_AT_TAG } from "../../../events/lease.ts";
import { observe } from "../../shared/observability.ts";
import { expiresAtValueOf } from "../../shared/release-checks.ts";
import { type BucketLeaseChange, bucketLeaseChangeSchema } from "../domain.ts";
import { type S3Gateway, s3GatewayIn } from "../s3.ts";
import { type BucketStore, bucketStore } from "../store.ts";

export interface LeaseChangedDeps {
  store: BucketStore;
  /** The S3 gateway of a region. */
  s3In: (region: string) => S3Gateway;
  logger: Logger;
}

/** The bucket exists, but the launcher cannot read its tags where its lease says it is. */
export class BucketUnreadableError extends Error {
  override readonly name = "BucketUnreadableError";
}

/**
 * Tags the bucket `ExpiresAt` with its lease's end when the lease starts and each time it is extended,
 * keeping its other tags (S3 replaces a bucket's tags whole). An end earlier than one already tagged
 * (the events came out of order) changes nothing; a bucket gone already has nothing to tag.
 */
export const createLeaseChangedHandler =
  ({ store, s3In, logger }: LeaseChangedDeps) =>
  async ({ requestId, resource, endsAt }: BucketLeaseChange): Promise<void> => {
    const { bucketName, region } = resource;
    const expiresAt = expiresAtValueOf(endsAt);
    if (!(await store.recordExpiresAt(requestId, expiresAt))) {
      logger.info("A later end is tagged already; event ignored", { requestId, endsAt });
      return;
    }
    const s3 = s3In(region);
    const probe = await s3.probeBucket(bucketName);
    if (probe.state === "absent") {
      logger.warn("The bucket is gone; nothing to tag", { requestId, bucketName });
      return;
    }
    if (probe.state === "unreadable") {
      throw new BucketUnreadableError(`S3 answers ${probe.code} for the tags of ${bucketName} in ${region}`);
    }
    await s3.putTags(bucketName, { ...probe.tags, [EXPIRES_AT_TAG]: expiresAt });
    logger.info("Bucket tagged with its lease's end", { requestId, bucketName, expiresAt });
  };

const logger = new Logger({ serviceName: "s3-launcher" });

export const handler = middy(createLeaseChangedHandler({ store: bucketStore, s3In: s3GatewayIn, logger }))
  .use(injectLambdaContext(logger))
  .use(observe("s3-launcher"))
  .use(parser({ schema: bucketLeaseChangeSchema, envelope: EventBridgeEnvelope }));
