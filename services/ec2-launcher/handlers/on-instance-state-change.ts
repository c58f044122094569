import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { Ec2InstanceStateChange } from "../../../events/ec2-state-change.ts";
import { type Envelope, envelopeSchemaOf } from "../../../events/envelope.ts";
import { ProvisioningFailed } from "../../../events/provisioning-failed.ts";
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
import { endedBeforeRunningReason, LAUNCH_TAG_KEYS, type LaunchOutcome, outcomeOfState } from "../domain.ts";
import { type DescribedInstance, type Ec2Gateway, ec2Gateway } from "../ec2.ts";
import type { Reaper } from "../reaper.ts";
import { stopsAgainWhenRunning } from "../release.ts";
import { type LaunchRecord, type LaunchStore, launcherIdempotency, launchStore } from "../store.ts";
import { reaperLoggingTo } from "../wiring.ts";

export interface InstanceStateChangeDeps {
  store: LaunchStore;
  ec2: Ec2Gateway;
  reaper: Pick<Reaper, "stopAgain" | "endedOutside">;
  publish: Publisher["publish"];
  now: () => Date;
  logger: Logger;
  metrics: BusinessMetrics;
}

/** The dimension of the launcher's provisioning metrics. */
const INSTANCES = { resourceType: "ec2" };

/** EC2 does not show a just-launched instance yet; thrown so the bus retries once it does. */
export class InstanceNotVisibleError extends Error {
  override readonly name = "InstanceNotVisibleError";
}

/**
 * A state change as the handler reads it: the detail, and the region of the instance, which only the
 * envelope names (the stack's default bus also gets the changes of its other regions, forwarded).
 */
export type InstanceStateChange = Pick<Envelope<typeof Ec2InstanceStateChange>, "region" | "detail">;

/**
 * Settles a launch from EC2's state changes, asking EC2 in the instance's region: `running` is `ResourceProvisioned`, ending before that is
 * `ProvisioningFailed`; whichever comes first is the one outcome of the request. An instance whose lease
 * released it with `stop` that runs again (someone started it) is stopped again, in a release of its
 * own, checked and reported; one terminated outside this tool while its lease ran (provisioned, no
 * release recorded) is reported released, reason ended-outside. State changes of instances the launcher did not launch are ignored. A delivery that finds the outcome being published
 * by another one fails with Powertools' `IdempotencyAlreadyInProgressError`, for the bus to retry.
 */
export const createInstanceStateChangeHandler = ({
  store,
  ec2,
  reaper,
  publish,
  now,
  logger,
  metrics,
}: InstanceStateChangeDeps) => {
  /**
   * The index answers for launches it already shows. A state change can overtake the index (it lags
   * writes) or even the launch's own record of its instance, so an instance the index does not know is
   * looked up by the RequestId tag it was launched with: still unknown, it is someone else's.
   */
  const findLaunch = async (
    region: string,
    instanceId: string,
  ): Promise<{ launch: LaunchRecord; instance?: DescribedInstance } | undefined> => {
    const indexed = await store.findByInstanceId(instanceId);
    if (indexed) return { launch: indexed };
    const instance = await ec2.describeInstance(region, instanceId);
    const requestId = instance?.tags[LAUNCH_TAG_KEYS.requestId];
    const launch = requestId ? await store.get(requestId) : undefined;
    if (!launch || (launch.instanceId !== undefined && launch.instanceId !== instanceId)) return undefined;
    return { launch, instance };
  };

  /** Counts the launch's one outcome; the time to provision runs from EC2 accepting the launch to `running`. */
  const countOutcome = (launch: LaunchRecord, outcome: LaunchOutcome) => {
    if (outcome === "failed") {
      metrics.count("ProvisioningFailed", INSTANCES);
      return;
    }
    metrics.count("ProvisioningSucceeded", INSTANCES);
    if (launch.launchedAt) metrics.duration("TimeToProvision", millisecondsSince(launch.launchedAt, now()));
  };

  return async ({
    region,
    detail: { "instance-id": instanceId, state },
  }: InstanceStateChange): Promise<void> => {
    const outcome = outcomeOfState(state);
    if (!outcome) return;
    const found = await findLaunch(region, instanceId);
    if (!found) {
      logger.debug("State change of an instance the launcher did not launch; ignored", { instanceId, state });
      return;
    }
    const { requestId, request, release } = found.launch;
    if (state === "running" && release && stopsAgainWhenRunning(release)) {
      logger.warn("A released instance was started again; stopping it again", { requestId, instanceId });
      await reaper.stopAgain(requestId, release);
      return;
    }
    if (state === "terminated" && !release) {
      // The index may lag: whether the instance ran is read from the launch itself.
      const launch = await store.get(requestId);
      if (launch?.provisionedAt && !launch.release) {
        await reaper.endedOutside(requestId, request, { type: "ec2", instanceId, region });
        return;
      }
    }
    // The instance is described within the outcome's effect: once settled, a repeat asks EC2 nothing.
    const { ran } = await store.publishOnce(requestId, "outcome", async () => {
      const instance = found.instance ?? (await ec2.describeInstance(region, instanceId));
      if (outcome === "provisioned") {
        if (!instance)
          throw new InstanceNotVisibleError(`EC2 does not describe running instance ${instanceId} yet`);
        await store.markProvisioned(requestId, now());
        return publish(ResourceProvisioned, {
          requestId,
          request,
          instanceId,
          privateIp: instance.privateIp,
          provisionedAt: now().toISOString(),
        });
      }
      return publish(ProvisioningFailed, {
        requestId,
        request,
        instanceId,
        reason: endedBeforeRunningReason(instanceId, state, instance?.stateReason),
        failedAt: now().toISOString(),
      });
    });
    if (ran) countOutcome(found.launch, outcome);
    if (!ran) logger.info("Launch already settled; state change ignored", { requestId, instanceId, state });
    else if (outcome === "provisioned") logger.info("Instance running", { requestId, instanceId });
    else logger.warn("Instance ended before it ran", { requestId, instanceId, state });
  };
};

const logger = new Logger({ serviceName: "ec2-launcher" });

export const handler = middy(
  createInstanceStateChangeHandler({
    store: launchStore,
    ec2: ec2Gateway,
    reaper: reaperLoggingTo(logger),
    publish: publisher.publish,
    now: () => new Date(),
    logger,
    metrics: businessMetricsOf(metricsOf("ec2-launcher")),
  }),
)
  .use(injectLambdaContext(logger))
  .use(observe("ec2-launcher"))
  .use(launcherIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: envelopeSchemaOf(Ec2InstanceStateChange) }));
