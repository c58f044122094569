import type { Logger } from "@aws-lambda-powertools/logger";
import { LAUNCHER_SOURCES } from "../../events/launched-resource.ts";
import { ProvisioningFailed } from "../../events/provisioning-failed.ts";
import type { Publisher } from "../../events/publish.ts";
import { ResourceProvisioned } from "../../events/resource-provisioned.ts";
import { publisher } from "../shared/events.ts";
import {
  type BusinessMetrics,
  businessMetricsOf,
  metricsOf,
  millisecondsSince,
} from "../shared/observability.ts";
import {
  CREATION_TAG_KEYS,
  type CreationOutcome,
  failedCreationReason,
  outcomeOfStatus,
  vanishedReason,
} from "./domain.ts";
import { type DescribedDbInstance, type RdsGateway, rdsGateway, UnexpectedRdsResponseError } from "./rds.ts";
import { type CreationRecord, type CreationStore, creationStore } from "./store.ts";

export interface SettleDeps {
  store: CreationStore;
  rds: RdsGateway;
  publish: Publisher["publish"];
  now: () => Date;
  logger: Logger;
  metrics: BusinessMetrics;
}

/** What the deployed handlers settle with: the real store, RDS and bus, the clock, and the handler's logger. */
export const settleDeps = (logger: Logger): SettleDeps => ({
  store: creationStore,
  rds: rdsGateway,
  publish: publisher.publish,
  now: () => new Date(),
  logger,
  metrics: businessMetricsOf(metricsOf("rds-launcher")),
});

/** The dimension of the launcher's provisioning metrics. */
export const DATABASES = { resourceType: "rds" };

/** Where a creation stands after a look at its instance. */
export type SettleResult = CreationOutcome | "pending" | "not-ours";

/**
 * Settles a creation from what RDS describes now, never from an event alone (events are best effort
 * and may come late or out of order): a usable instance is `ResourceProvisioned` with its endpoint and
 * the secret of its password, a failed or vanished one `ProvisioningFailed`; whichever is published
 * first is the request's one outcome. Shared by the `aws.rds` event handler and the sweeper that
 * settles the creations whose event was lost.
 */
export const createSettler = ({ store, rds, publish, now, logger, metrics }: SettleDeps) => {
  const source = LAUNCHER_SOURCES.rds;

  const provisioned = async (creation: CreationRecord, instance: DescribedDbInstance) => {
    const { requestId, request, dbInstanceIdentifier } = creation;
    if (!instance.endpoint || !instance.masterUserSecretArn) {
      // Thrown so the bus (or the sweeper's next run) looks again once RDS fills them in.
      throw new UnexpectedRdsResponseError(
        `DB instance ${dbInstanceIdentifier} is ${instance.status} but RDS gives no endpoint or master user secret yet`,
      );
    }
    await store.markProvisioned(requestId, now());
    return publish(
      ResourceProvisioned,
      {
        requestId,
        request,
        database: {
          identifier: dbInstanceIdentifier,
          host: instance.endpoint.host,
          port: instance.endpoint.port,
          masterUserSecretArn: instance.masterUserSecretArn,
          databaseName: request.resource.databaseName,
        },
        provisionedAt: now().toISOString(),
      },
      { source },
    );
  };

  const failed = (creation: CreationRecord, reason: string) =>
    publish(
      ProvisioningFailed,
      {
        requestId: creation.requestId,
        request: creation.request,
        dbInstanceIdentifier: creation.dbInstanceIdentifier,
        reason,
        failedAt: now().toISOString(),
      },
      { source },
    );

  /** Counts the one outcome; the time to provision runs from RDS accepting the creation to the instance usable. */
  const countOutcome = (creation: CreationRecord, outcome: CreationOutcome) => {
    if (outcome === "failed") {
      metrics.count("ProvisioningFailed", DATABASES);
      return;
    }
    metrics.count("ProvisioningSucceeded", DATABASES);
    if (creation.creatingSince)
      metrics.duration("TimeToProvision", millisecondsSince(creation.creatingSince, now()));
  };

  /** `eventMessage`: what RDS's event said, kept in a failure's reason (a status alone says little). */
  return async (creation: CreationRecord, eventMessage?: string): Promise<SettleResult> => {
    const { requestId, region, dbInstanceIdentifier: identifier } = creation;
    const described = await rds.describeDbInstance(region, identifier);
    const instance = described?.tags[CREATION_TAG_KEYS.requestId] === requestId ? described : undefined;
    if (!instance && !creation.creatingSince) {
      // Before RDS accepted our creation, another instance of the identifier is someone else's (the
      // creation fails on it), and no instance at all means it is still to be asked for.
      return described ? "not-ours" : "pending";
    }
    // Once RDS accepted it, our instance missing (or replaced by another's) is ours deleted.
    const outcome = instance ? outcomeOfStatus(instance.status) : "failed";
    if (!outcome) return "pending";
    const { ran } = await store.publishOnce(requestId, "outcome", () =>
      instance && outcome === "provisioned"
        ? provisioned(creation, instance)
        : failed(
            creation,
            instance
              ? failedCreationReason(identifier, instance.status, eventMessage)
              : vanishedReason(identifier),
          ),
    );
    await store.markSettled(requestId, now());
    if (ran) countOutcome(creation, outcome);
    if (!ran) logger.info("Creation already settled", { requestId, identifier });
    else if (outcome === "provisioned")
      logger.info("DB instance available", { requestId, identifier, region });
    else
      logger.warn("DB instance failed before it was available", {
        requestId,
        identifier,
        status: instance?.status,
      });
    return outcome;
  };
};
