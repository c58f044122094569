import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { LAUNCHER_SOURCES } from "../../../events/launched-resource.ts";
import { ProvisioningFailed } from "../../../events/provisioning-failed.ts";
import { ProvisioningStarted } from "../../../events/provisioning-started.ts";
import type { Publisher } from "../../../events/publish.ts";
import { publisher } from "../../shared/events.ts";
import { type BusinessMetrics, businessMetricsOf, metricsOf, observe } from "../../shared/observability.ts";
import { creationSettings } from "../config.ts";
import {
  buildCreateDbInstanceInput,
  CREATION_CHECK_DELAY_MS,
  CREATION_TAG_KEYS,
  type CreationSettings,
  classifyCreateError,
  createRefusalReason,
  dbInstanceIdentifierOf,
  identifierTakenReason,
  type RdsApproval,
  rdsApprovalSchema,
  regionOf,
} from "../domain.ts";
import { type RdsGateway, rdsFailureOf, rdsGateway, UnexpectedRdsResponseError } from "../rds.ts";
import { DATABASES } from "../settle.ts";
import {
  type CreationRecord,
  type CreationStore,
  creationStore,
  launcherIdempotency,
  type PermanentCreationFailure,
} from "../store.ts";

export interface RequestApprovedDeps {
  store: CreationStore;
  rds: RdsGateway;
  publish: Publisher["publish"];
  settings: CreationSettings;
  now: () => Date;
  logger: Logger;
  metrics: BusinessMetrics;
}

/**
 * Creates the DB instance of an approved RDS request in its region and announces it with one
 * `ProvisioningStarted`. RDS refusing it for good, or its identifier belonging to another instance,
 * ends it with `ProvisioningFailed`; anything else that goes wrong throws, so the bus retries (the
 * identifier, derived from the request id, keeps retries on the same instance). So does finding an
 * event of the creation being published by another delivery (`IdempotencyAlreadyInProgressError`).
 * The creation goes on the sweeper's index, so that a lost `aws.rds` event cannot leave it unsettled.
 */
export const createRequestApprovedHandler = ({
  store,
  rds,
  publish,
  settings,
  now,
  logger,
  metrics,
}: RequestApprovedDeps) => {
  const source = LAUNCHER_SOURCES.rds;

  /**
   * Ends the request as failed, once however often the approval is delivered. The failure is recorded
   * first, so a redelivery after a crash publishes it without asking RDS again.
   */
  const failForGood = async (creation: CreationRecord, failure: PermanentCreationFailure) => {
    const { requestId, request, dbInstanceIdentifier } = creation;
    const recorded = await store.recordPermanentFailure(requestId, failure);
    const { ran } = await store.publishOnce(requestId, "outcome", () =>
      publish(
        ProvisioningFailed,
        { requestId, request, dbInstanceIdentifier, ...recorded, failedAt: now().toISOString() },
        { source },
      ),
    );
    if (ran) metrics.count("ProvisioningFailed", DATABASES);
  };

  /**
   * Resolves to whether RDS is creating the instance for this request: it accepted the call, or an
   * earlier delivery's call, which the instance's RequestId tag tells.
   */
  const createInstance = async (creation: CreationRecord): Promise<boolean> => {
    const { requestId, request, approver, region, dbInstanceIdentifier: identifier } = creation;
    let result: Awaited<ReturnType<RdsGateway["createDbInstance"]>>;
    try {
      result = await rds.createDbInstance(region, buildCreateDbInstanceInput(request, approver, settings));
    } catch (error) {
      const failure = rdsFailureOf(error);
      if (classifyCreateError(failure) === "retryable") throw error;
      logger.warn("RDS refused the creation for good", { requestId, errorCode: failure.code });
      await failForGood(creation, { errorCode: failure.code, reason: createRefusalReason(failure) });
      return false;
    }
    if (result === "already-exists") {
      const existing = await rds.describeDbInstance(region, identifier);
      if (!existing) {
        throw new UnexpectedRdsResponseError(
          `RDS says ${identifier} exists in ${region} but does not describe it (being deleted?)`,
        );
      }
      if (existing.tags[CREATION_TAG_KEYS.requestId] !== requestId) {
        logger.warn("The request's DB instance identifier is taken by another instance", {
          requestId,
          identifier,
        });
        await failForGood(creation, {
          errorCode: "DBInstanceAlreadyExists",
          reason: identifierTakenReason(identifier),
        });
        return false;
      }
      logger.info("Found the instance an earlier delivery created", { requestId, identifier });
    }
    const since = now();
    await store.markCreating(requestId, since, new Date(since.getTime() + CREATION_CHECK_DELAY_MS));
    return true;
  };

  return async (approval: RdsApproval): Promise<void> => {
    const { requestId, request, approver } = approval;
    const creation = await store.recordApproval({
      requestId,
      request,
      approver,
      region: regionOf(request, settings),
      dbInstanceIdentifier: dbInstanceIdentifierOf(request),
    });
    if (creation.permanentFailure) {
      await failForGood(creation, creation.permanentFailure);
      return;
    }
    if (!creation.creatingSince && !(await createInstance(creation))) return;
    const { ran } = await store.publishOnce(requestId, "started", () =>
      publish(
        ProvisioningStarted,
        {
          requestId,
          request,
          approver,
          dbInstanceIdentifier: creation.dbInstanceIdentifier,
          startedAt: now().toISOString(),
        },
        { source },
      ),
    );
    if (ran) metrics.count("ProvisioningStarted", DATABASES);
    logger.info(ran ? "DB instance being created" : "Creation already announced; redelivery ignored", {
      requestId,
      identifier: creation.dbInstanceIdentifier,
      region: creation.region,
    });
  };
};

const logger = new Logger({ serviceName: "rds-launcher" });

export const handler = middy(
  createRequestApprovedHandler({
    store: creationStore,
    rds: rdsGateway,
    publish: publisher.publish,
    settings: creationSettings,
    now: () => new Date(),
    logger,
    metrics: businessMetricsOf(metricsOf("rds-launcher")),
  }),
)
  .use(injectLambdaContext(logger))
  .use(observe("rds-launcher"))
  .use(launcherIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: rdsApprovalSchema, envelope: EventBridgeEnvelope }));
