import { ReleaseCheckDue, ReleaseFailed, ResourceReleased } from "../../events/lease-events.ts";
import { ProvisioningFailed } from "../../events/provisioning-failed.ts";
import { ProvisioningStarted } from "../../events/provisioning-started.ts";
import { ResourceProvisioned } from "../../events/resource-provisioned.ts";
import { asProducer, handlerOf, type ServiceManifest } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { idempotencyTable, launchesTable, tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "ec2-launcher",
  subscriptions,
  tables,
  // ReleaseCheckDue goes out through Scheduler, under the launcher's own source.
  publishes: asProducer(
    ProvisioningStarted,
    ResourceProvisioned,
    ProvisioningFailed,
    ResourceReleased,
    ReleaseFailed,
    ReleaseCheckDue,
  ),
  uses: [
    {
      handler: handlerOf(subscriptions, "ec2-launcher-on-request-approved"),
      writes: [launchesTable, idempotencyTable],
      publishes: [ProvisioningStarted, ProvisioningFailed],
    },
    // A state change settles the launch, stops an instance again (its checks report it) or reports one ended outside.
    {
      handler: handlerOf(subscriptions, "ec2-launcher-on-instance-state-change"),
      writes: [launchesTable, idempotencyTable],
      publishes: [ResourceProvisioned, ProvisioningFailed, ResourceReleased],
    },
    // Tagging the lease's end and starting a release report nothing: the release's checks do.
    { handler: handlerOf(subscriptions, "ec2-launcher-on-lease-changed"), writes: [launchesTable] },
    { handler: handlerOf(subscriptions, "ec2-launcher-on-release-requested"), writes: [launchesTable] },
    {
      handler: handlerOf(subscriptions, "ec2-launcher-on-release-check-due"),
      writes: [launchesTable, idempotencyTable],
      publishes: [ResourceReleased, ReleaseFailed],
    },
  ],
  needs: {
    settings: [
      "IMAGE_IDS",
      "SECURITY_GROUP_IDS",
      "DEFAULT_SUBNET_ID",
      "ALLOWED_SUBNET_IDS",
      "RELEASE_CHECK_DELAYS",
      "DEPLOYMENT_NAME",
    ],
    sendsEmail: false,
    readsHmacKey: false,
    schedules: true,
    ec2: {
      launch: [handlerOf(subscriptions, "ec2-launcher-on-request-approved")],
      describe: [],
      release: [
        handlerOf(subscriptions, "ec2-launcher-on-lease-changed"),
        handlerOf(subscriptions, "ec2-launcher-on-release-requested"),
        handlerOf(subscriptions, "ec2-launcher-on-release-check-due"),
        // It stops again an instance released with `stop` that someone started, and describes launches.
        handlerOf(subscriptions, "ec2-launcher-on-instance-state-change"),
      ],
    },
  },
};
