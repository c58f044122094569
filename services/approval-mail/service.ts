import { ApprovalRequested } from "../../events/approval-requested.ts";
import { asProducer, handlerOf, type ServiceManifest } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { idempotencyTable, mailingsTable, tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "approval-mail",
  subscriptions,
  tables,
  publishes: asProducer(ApprovalRequested),
  uses: [
    // The stage's mailing holds its own claim (no idempotency record): its links are minted anew on a retry.
    {
      handler: handlerOf(subscriptions, "approval-mail-on-approval-stage-started"),
      writes: [mailingsTable],
      publishes: [ApprovalRequested],
    },
    // A reminder asks the approvers the event names: no mailing is read or changed.
    {
      handler: handlerOf(subscriptions, "approval-mail-on-approvers-reminded"),
      writes: [idempotencyTable],
      publishes: [ApprovalRequested],
    },
    {
      handler: handlerOf(subscriptions, "approval-mail-on-approval-escalated"),
      writes: [mailingsTable, idempotencyTable],
      publishes: [ApprovalRequested],
    },
    // Whom to tell how it ended is read from the mailings; each closure email is sent once.
    {
      handler: handlerOf(subscriptions, "approval-mail-on-request-closed"),
      reads: [mailingsTable],
      writes: [idempotencyTable],
    },
  ],
  needs: {
    settings: ["SENDER", "PUBLIC_URL", "DECISIONS_REQUIRE_SIGN_IN"],
    sendsEmail: true,
    // It signs the decision links.
    readsHmacKey: true,
  },
};
