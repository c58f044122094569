import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { ProvisioningFailed } from "../../../events/provisioning-failed.ts";
import { ProvisioningStarted } from "../../../events/provisioning-started.ts";
import type { Publisher } from "../../../events/publish.ts";
import { architectureOf } from "../../../events/request.ts";
import { publisher } from "../../shared/events.ts";
import { type BusinessMetrics, businessMetricsOf, metricsOf, observe } from "../../shared/observability.ts";
import { launchSettings } from "../config.ts";
import {
  buildRunInstancesInput,
  classifyLaunchError,
  type Ec2Approval,
  ec2ApprovalSchema,
  imageIdIn,
  type LaunchSettings,
  launchRefusalReason,
  noImageReason,
  regionOf,
  subnetRefusalOf,
} from "../domain.ts";
import { type Ec2Gateway, ec2FailureOf, ec2Gateway } from "../ec2.ts";
import { type LaunchStore, launcherIdempotency, launchStore, type PermanentLaunchFailure } from "../store.ts";

export interface RequestApprovedDeps {
  store: LaunchStore;
  ec2: Ec2Gateway;
  publish: Publisher["publish"];
  settings: LaunchSettings;
  now: () => Date;
  logger: Logger;
  metrics: BusinessMetrics;
}

/**
 * Launches the instance of an approved EC2 request in the request's region, from the image of its OS for
 * its instance type's architecture there, and announces it with one `ProvisioningStarted`. A subnet
 * outside the allowed ones, no image for the request, or EC2 refusing it for good, ends it with
 * `ProvisioningFailed`; anything else that goes wrong throws, so the bus retries (the ClientToken keeps
 * retries on the same instance). So does finding an event of the launch being published by another
 * delivery (Powertools' `IdempotencyAlreadyInProgressError`).
 */
export const createRequestApprovedHandler = ({
  store,
  ec2,
  publish,
  settings,
  now,
  logger,
  metrics,
}: RequestApprovedDeps) => {
  /**
   * Ends the request as failed, once however often the approval is delivered. The failure is recorded
   * first, so a redelivery after a crash publishes it without asking EC2 again.
   */
  const failForGood = async ({ requestId, request }: Ec2Approval, failure: PermanentLaunchFailure) => {
    const recorded = await store.recordPermanentFailure(requestId, failure);
    const published = await store.publishOnce(requestId, "outcome", () =>
      publish(ProvisioningFailed, { requestId, request, ...recorded, failedAt: now().toISOString() }),
    );
    if (published.ran) metrics.count("ProvisioningFailed", { resourceType: "ec2" });
    return published;
  };

  /** Resolves to the new instance's id, or to undefined when the request can never launch as asked. */
  const launchInstance = async (approval: Ec2Approval): Promise<string | undefined> => {
    const { requestId, request, approver } = approval;
    const { os, instanceType, subnetId } = request.resource;
    const subnetRefusal = subnetRefusalOf(request.resource, settings);
    if (subnetRefusal) {
      logger.warn("The request's subnet is not allowed", { requestId, subnetId });
      await failForGood(approval, { reason: subnetRefusal });
      return undefined;
    }
    const architecture = architectureOf(instanceType);
    const region = regionOf(request, settings);
    const imageId = imageIdIn(region, os, architecture, settings);
    if (imageId === undefined) {
      logger.warn("No image configured for the request", { requestId, os, architecture, region });
      await failForGood(approval, { reason: noImageReason(os, architecture, region) });
      return undefined;
    }
    let instanceId: string;
    try {
      instanceId = await ec2.runInstance(
        region,
        buildRunInstancesInput(request, approver, imageId, settings),
      );
    } catch (error) {
      const failure = ec2FailureOf(error);
      if (classifyLaunchError(failure) === "retryable") throw error;
      logger.warn("EC2 refused the launch for good", { requestId, errorCode: failure.code });
      await failForGood(approval, { errorCode: failure.code, reason: launchRefusalReason(failure) });
      return undefined;
    }
    await store.attachInstance(requestId, instanceId, now());
    return instanceId;
  };

  return async (approval: Ec2Approval): Promise<void> => {
    const { requestId, request, approver } = approval;
    const launch = await store.recordApproval({ requestId, request, approver });
    if (launch.permanentFailure) {
      await failForGood(approval, launch.permanentFailure);
      return;
    }
    const instanceId = launch.instanceId ?? (await launchInstance(approval));
    if (!instanceId) return;
    const { ran } = await store.publishOnce(requestId, "started", () =>
      publish(ProvisioningStarted, {
        requestId,
        request,
        approver,
        instanceId,
        startedAt: now().toISOString(),
      }),
    );
    if (ran) metrics.count("ProvisioningStarted", { resourceType: "ec2" });
    logger.info(ran ? "Instance launching" : "Launch already announced; redelivery ignored", {
      requestId,
      instanceId,
    });
  };
};

const logger = new Logger({ serviceName: "ec2-launcher" });

export const handler = middy(
  createRequestApprovedHandler({
    store: launchStore,
    ec2: ec2Gateway,
    publish: publisher.publish,
    settings: launchSettings,
    now: () => new Date(),
    logger,
    metrics: businessMetricsOf(metricsOf("ec2-launcher")),
  }),
)
  .use(injectLambdaContext(logger))
  .use(observe("ec2-launcher"))
  .use(launcherIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: ec2ApprovalSchema, envelope: EventBridgeEnvelope }));
