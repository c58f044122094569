import { EmailSuppressed } from "../../events/email-suppressed.ts";
import { RequesterNotified } from "../../events/requester-notified.ts";
import { asProducer, handlerOf, type ServiceManifest } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { idempotencyTable, suppressionsTable, tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "notifier",
  subscriptions,
  tables,
  publishes: asProducer(RequesterNotified, EmailSuppressed),
  uses: [
    {
      handler: handlerOf(subscriptions, "notifier-on-request-news"),
      reads: [suppressionsTable],
      writes: [idempotencyTable],
      publishes: [RequesterNotified, EmailSuppressed],
    },
    { handler: handlerOf(subscriptions, "notifier-on-ses-feedback"), writes: [suppressionsTable] },
  ],
  // The directory: a failed release is mailed to the operators too.
  needs: { settings: ["SENDER", "PUBLIC_URL"], sendsEmail: true, readsHmacKey: false, directory: true },
};
