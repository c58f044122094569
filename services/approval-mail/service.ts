import { ApprovalRequested } from "../../events/approval-requested.ts";
import { asProducer, type ServiceManifest } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "approval-mail",
  subscriptions,
  tables,
  publishes: asProducer(ApprovalRequested),
  needs: {
    settings: ["SENDER", "PUBLIC_URL", "DECISIONS_REQUIRE_SIGN_IN"],
    sendsEmail: true,
    // It signs the decision links.
    readsHmacKey: true,
  },
};
