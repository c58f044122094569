import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { LAUNCHER_SOURCES } from "../../../events/launched-resource.ts";
import { ProvisioningFailed } from "../../../events/provisioning-failed.ts";
import { ProvisioningStarted } from "../../../events/provisioning-started.ts";
import type { Publisher } from "../../../events/publish.ts";
import { ResourceProvisioned } from "../../../events/resource-provisioned.ts";
import { publisher } from "../../shared/events.ts";
import {
  type BusinessMetrics,
  businessMetricsOf,
  metricsOf,
  millisecondsSince,
  observe,
} from "../../shared/observability.ts";
import { deploymentName, homeRegion } from "../config.ts";
import {
  type BucketApproval,
  bucketApprovalSchema,
  bucketArnOf,
  bucketRegionOf,
  buildBucketConfiguration,
  buildCreateBucketInput,
  claimedByAnotherRequestReason,
  classifyS3Error,
  createRefusalOf,
  isRequestsBucket,
  type PermanentBucketFailure,
  s3RefusalReason,
  takenInThisAccountReason,
} from "../domain.ts";
import { type S3Gateway, s3FailureOf, s3GatewayIn } from "../s3.ts";
import { type BucketRecord, type BucketStore, bucketStore, launcherIdempotency } from "../store.ts";

export interface RequestApprovedDeps {
  store: BucketStore;
  /** The S3 gateway of a region. */
  s3In: (region: string) => S3Gateway;
  publish: Publisher["publish"];
  /** The stack's own region, for requests that name none. */
  homeRegion: string;
  /** DEPLOYMENT_NAME, the value of the deployment's tag on the buckets it creates. */
  deploymentName: string;
  now: () => Date;
  logger: Logger;
  metrics: BusinessMetrics;
}

/** The launcher's events go out under its own source, one of the provisioning contracts' producers. */
const published = { source: LAUNCHER_SOURCES.s3 };

/** The dimension of the launcher's provisioning metrics. */
const BUCKETS = { resourceType: "s3" };

/**
 * Creates the bucket of an approved S3 request in its region, announces it with one
 * `ProvisioningStarted`, sets it up (tags, public access blocked, encryption, versioning, expiry, a
 * TLS-only policy) and announces it ready with one `ResourceProvisioned`. A name another request,
 * another account or anyone else in this account already has, or S3 refusing the bucket for good, ends
 * the request with one `ProvisioningFailed`; anything else that goes wrong throws, so the bus retries,
 * and the retry resumes: the bucket is created once, and every setting is set whole, so setting it
 * again changes nothing.
 */
export const createRequestApprovedHandler = ({
  store,
  s3In,
  publish,
  homeRegion,
  deploymentName,
  now,
  logger,
  metrics,
}: RequestApprovedDeps) => {
  const failOnce = async (
    { requestId, request }: BucketApproval,
    failure: PermanentBucketFailure,
    created: boolean | undefined,
  ) => {
    const { ran } = await store.publishOnce(requestId, "outcome", () =>
      publish(
        ProvisioningFailed,
        {
          requestId,
          request,
          // It names the bucket only when the request's own exists: never another's.
          ...(created && { bucketName: request.resource.bucketName }),
          ...failure,
          failedAt: now().toISOString(),
        },
        published,
      ),
    );
    if (ran) metrics.count("ProvisioningFailed", BUCKETS);
  };

  /**
   * Ends the request as failed, once however often the approval is delivered. The failure is recorded
   * first, so a redelivery after a crash publishes it without asking S3 again.
   */
  const failForGood = async (approval: BucketApproval, failure: PermanentBucketFailure, created = false) => {
    logger.warn("The bucket can never be set up", {
      requestId: approval.requestId,
      errorCode: failure.errorCode,
      reason: failure.reason,
    });
    const recorded = await store.recordPermanentFailure(
      approval.request.resource.bucketName,
      approval.requestId,
      failure,
    );
    await failOnce(approval, recorded, created);
  };

  /**
   * Makes sure the request's bucket exists and is its own; resolves to false when it never can be, its
   * failure published. A bucket already in the account before the launcher first called CreateBucket
   * is someone else's; so is one tagged for another request. S3 answers a CreateBucket of a bucket the
   * account owns with `BucketAlreadyOwnedByYou`, except in us-east-1, where it succeeds: so the name is
   * looked at before the first call, not only after.
   */
  const ensureBucket = async (approval: BucketApproval, record: BucketRecord, s3: S3Gateway) => {
    const { requestId } = approval;
    const { bucketName } = approval.request.resource;
    if (!record.createCalled) {
      const probe = await s3.probeBucket(bucketName);
      if (probe.state === "readable" && !isRequestsBucket(probe.tags, requestId, false)) {
        await failForGood(approval, { reason: takenInThisAccountReason(bucketName) });
        return false;
      }
      await store.markCreateCalled(bucketName, requestId);
    }
    try {
      await s3.createBucket(buildCreateBucketInput(bucketName, record.region));
    } catch (error) {
      const failure = s3FailureOf(error);
      if (failure.code !== "BucketAlreadyOwnedByYou") {
        const refusal = createRefusalOf(bucketName, failure);
        if (!refusal) throw error;
        await failForGood(approval, refusal);
        return false;
      }
      // This account has the bucket: the request's own only if its tags (or their absence) say so.
      const probe = await s3.probeBucket(bucketName);
      if (probe.state !== "readable" || !isRequestsBucket(probe.tags, requestId, true)) {
        await failForGood(approval, {
          errorCode: failure.code,
          reason: takenInThisAccountReason(bucketName),
        });
        return false;
      }
    }
    await store.markCreated(bucketName, requestId);
    return true;
  };

  return async (approval: BucketApproval): Promise<void> => {
    const { requestId, request, approver } = approval;
    const { bucketName } = request.resource;
    const record = await store.claim({
      requestId,
      request,
      approver,
      region: bucketRegionOf(request, homeRegion),
    });
    if (record.requestId !== requestId) {
      logger.warn("The bucket name is another request's", { requestId, holder: record.requestId });
      await failOnce(
        approval,
        { reason: claimedByAnotherRequestReason(bucketName, record.requestId) },
        false,
      );
      return;
    }
    if (record.permanentFailure) {
      await failOnce(approval, record.permanentFailure, record.created);
      return;
    }
    const { region } = record;
    const s3 = s3In(region);
    if (!record.created && !(await ensureBucket(approval, record, s3))) return;
    const started = await store.publishOnce(requestId, "started", () =>
      publish(
        ProvisioningStarted,
        { requestId, request, approver, bucketName, startedAt: now().toISOString() },
        published,
      ),
    );
    if (started.ran) metrics.count("ProvisioningStarted", BUCKETS);
    try {
      await s3.configure(buildBucketConfiguration(request, approver, region, deploymentName));
    } catch (error) {
      const failure = s3FailureOf(error);
      if (classifyS3Error(failure) === "retryable") throw error;
      await failForGood(approval, { errorCode: failure.code, reason: s3RefusalReason(failure) }, true);
      return;
    }
    const { ran } = await store.publishOnce(requestId, "outcome", () =>
      publish(
        ResourceProvisioned,
        {
          requestId,
          request,
          bucket: { name: bucketName, arn: bucketArnOf(bucketName, region), region },
          provisionedAt: now().toISOString(),
        },
        published,
      ),
    );
    if (ran) {
      metrics.count("ProvisioningSucceeded", BUCKETS);
      metrics.duration("TimeToProvision", millisecondsSince(approval.decidedAt, now()));
    }
    logger.info(ran ? "Bucket ready" : "Bucket already announced; redelivery ignored", {
      requestId,
      bucketName,
      region,
    });
  };
};

const logger = new Logger({ serviceName: "s3-launcher" });

export const handler = middy(
  createRequestApprovedHandler({
    store: bucketStore,
    s3In: s3GatewayIn,
    publish: publisher.publish,
    homeRegion,
    deploymentName,
    now: () => new Date(),
    logger,
    metrics: businessMetricsOf(metricsOf("s3-launcher")),
  }),
)
  .use(injectLambdaContext(logger))
  .use(observe("s3-launcher"))
  .use(launcherIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: bucketApprovalSchema, envelope: EventBridgeEnvelope }));
