import { LAUNCHER_SOURCES } from "../../events/launched-resource.ts";
import { ProvisioningFailed } from "../../events/provisioning-failed.ts";
import { ProvisioningStarted } from "../../events/provisioning-started.ts";
import { ResourceProvisioned } from "../../events/resource-provisioned.ts";
import { asOtherProducer, handlerOf, type ServiceManifest } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "s3-launcher",
  subscriptions,
  tables,
  // The provisioning events are the EC2 launcher's contracts; each other launcher is one of their producers.
  publishes: asOtherProducer(
    LAUNCHER_SOURCES.s3,
    ProvisioningStarted,
    ResourceProvisioned,
    ProvisioningFailed,
  ),
  needs: {
    settings: [],
    sendsEmail: false,
    readsHmacKey: false,
    s3: { create: [handlerOf(subscriptions, "s3-launcher-on-request-approved")] },
  },
};
