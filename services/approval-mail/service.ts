import { ApprovalRequested } from "../../events/approval-requested.ts";
import { RequestRejected } from "../../events/request-rejected.ts";
import { asProducer, type ServiceManifest } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "approval-mail",
  subscriptions,
  tables,
  // Policy refusals are approval-mail's own RequestRejected, published under its source.
  publishes: [
    ...asProducer(ApprovalRequested),
    { contract: RequestRejected, source: ApprovalRequested.source },
  ],
  needs: {
    settings: ["SENDER", "APPROVERS", "APPROVAL_TTL_SECONDS", "PUBLIC_URL", "DECISIONS_REQUIRE_SIGN_IN"],
    sendsEmail: true,
    // It signs the decision links.
    readsHmacKey: true,
  },
};
