import { ProvisioningFailed } from "../../events/provisioning-failed.ts";
import { ProvisioningStarted } from "../../events/provisioning-started.ts";
import { ResourceProvisioned } from "../../events/resource-provisioned.ts";
import { asProducer, handlerOf, type ServiceManifest } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "ec2-launcher",
  subscriptions,
  tables,
  publishes: asProducer(ProvisioningStarted, ResourceProvisioned, ProvisioningFailed),
  needs: {
    settings: ["IMAGE_IDS", "SECURITY_GROUP_IDS", "DEFAULT_SUBNET_ID"],
    sendsEmail: false,
    readsHmacKey: false,
    ec2: {
      launch: [handlerOf(subscriptions, "ec2-launcher-on-request-approved")],
      describe: [handlerOf(subscriptions, "ec2-launcher-on-instance-state-change")],
    },
  },
};
