import { LAUNCHER_SOURCES } from "../../events/launched-resource.ts";
import { ReleaseCheckDue, ReleaseFailed, ResourceReleased } from "../../events/lease-events.ts";
import { ProvisioningFailed } from "../../events/provisioning-failed.ts";
import { ProvisioningStarted } from "../../events/provisioning-started.ts";
import { ResourceProvisioned } from "../../events/resource-provisioned.ts";
import { asOtherProducer, handlerOf, type ServiceManifest } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { creationsTable, idempotencyTable, tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "rds-launcher",
  subscriptions,
  tables,
  // The provisioning and release events are the EC2 launcher's contracts; each other launcher is one of their producers.
  publishes: asOtherProducer(
    LAUNCHER_SOURCES.rds,
    ProvisioningStarted,
    ResourceProvisioned,
    ProvisioningFailed,
    ResourceReleased,
    ReleaseFailed,
    ReleaseCheckDue,
  ),
  uses: [
    {
      handler: handlerOf(subscriptions, "rds-launcher-on-request-approved"),
      writes: [creationsTable, idempotencyTable],
      publishes: [ProvisioningStarted, ProvisioningFailed],
    },
    // RDS's event settles the creation, or reports a DB instance deleted outside this tool released.
    {
      handler: handlerOf(subscriptions, "rds-launcher-on-db-instance-event"),
      writes: [creationsTable, idempotencyTable],
      publishes: [ResourceProvisioned, ProvisioningFailed, ResourceReleased],
    },
    {
      handler: handlerOf(subscriptions, "rds-launcher-creation-sweeper"),
      writes: [creationsTable, idempotencyTable],
      publishes: [ResourceProvisioned, ProvisioningFailed],
    },
    // Tagging the lease's end and starting a release report nothing: the release's checks do.
    { handler: handlerOf(subscriptions, "rds-launcher-on-lease-changed"), writes: [creationsTable] },
    { handler: handlerOf(subscriptions, "rds-launcher-on-release-requested"), writes: [creationsTable] },
    {
      handler: handlerOf(subscriptions, "rds-launcher-on-release-check"),
      writes: [creationsTable, idempotencyTable],
      publishes: [ResourceReleased, ReleaseFailed],
    },
  ],
  needs: {
    settings: ["DB_SUBNET_GROUP_NAME", "DB_SECURITY_GROUP_IDS", "RELEASE_CHECK_DELAYS", "DEPLOYMENT_NAME"],
    sendsEmail: false,
    readsHmacKey: false,
    rds: {
      create: [handlerOf(subscriptions, "rds-launcher-on-request-approved")],
      describe: [
        handlerOf(subscriptions, "rds-launcher-on-request-approved"),
        handlerOf(subscriptions, "rds-launcher-on-db-instance-event"),
        handlerOf(subscriptions, "rds-launcher-creation-sweeper"),
      ],
      release: [
        handlerOf(subscriptions, "rds-launcher-on-lease-changed"),
        handlerOf(subscriptions, "rds-launcher-on-release-requested"),
        handlerOf(subscriptions, "rds-launcher-on-release-check"),
      ],
    },
    // The reaper's checks (services/shared/release-checks.ts).
    schedules: true,
  },
};
