import { LAUNCHER_SOURCES } from "../../events/launched-resource.ts";
import { ReleaseCheckDue, ReleaseFailed, ResourceReleased } from "../../events/lease-events.ts";
import { ProvisioningFailed } from "../../events/provisioning-failed.ts";
import { ProvisioningStarted } from "../../events/provisioning-started.ts";
import { ResourceProvisioned } from "../../events/resource-provisioned.ts";
import { asOtherProducer, handlerOf, type ServiceManifest } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { bucketsTable, idempotencyTable, leasesTable, tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "s3-launcher",
  subscriptions,
  tables,
  // The provisioning and release events are the EC2 launcher's contracts; each other launcher is one of their producers.
  publishes: asOtherProducer(
    LAUNCHER_SOURCES.s3,
    ProvisioningStarted,
    ResourceProvisioned,
    ProvisioningFailed,
    ResourceReleased,
    ReleaseFailed,
    ReleaseCheckDue,
  ),
  // The bucket names claimed are the creation's alone; the leases table is the releases'.
  uses: [
    {
      handler: handlerOf(subscriptions, "s3-launcher-on-request-approved"),
      writes: [bucketsTable, idempotencyTable],
      publishes: [ProvisioningStarted, ResourceProvisioned, ProvisioningFailed],
    },
    // It tags the bucket with its lease's end: nothing to report.
    { handler: handlerOf(subscriptions, "s3-launcher-on-lease-changed"), writes: [leasesTable] },
    // Starting a release fails it at once when the bucket holds objects; its checks report the rest.
    {
      handler: handlerOf(subscriptions, "s3-launcher-on-release-requested"),
      writes: [leasesTable, idempotencyTable],
      publishes: [ReleaseFailed],
    },
    {
      handler: handlerOf(subscriptions, "s3-launcher-on-release-check"),
      writes: [leasesTable, idempotencyTable],
      publishes: [ResourceReleased, ReleaseFailed],
    },
  ],
  needs: {
    settings: ["RELEASE_CHECK_DELAYS", "DEPLOYMENT_NAME"],
    sendsEmail: false,
    readsHmacKey: false,
    s3: {
      create: [handlerOf(subscriptions, "s3-launcher-on-request-approved")],
      release: [
        handlerOf(subscriptions, "s3-launcher-on-lease-changed"),
        handlerOf(subscriptions, "s3-launcher-on-release-requested"),
        handlerOf(subscriptions, "s3-launcher-on-release-check"),
      ],
    },
    // The reaper's checks (services/shared/release-checks.ts).
    schedules: true,
  },
};
