import { RequesterNotified } from "../../events/requester-notified.ts";
import { asProducer, handlerOf, type ServiceManifest } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { idempotencyTable, tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "notifier",
  subscriptions,
  tables,
  publishes: asProducer(RequesterNotified),
  uses: [
    {
      handler: handlerOf(subscriptions, "notifier-on-request-news"),
      writes: [idempotencyTable],
      publishes: [RequesterNotified],
    },
  ],
  // The directory: a failed release is mailed to the operators too.
  needs: { settings: ["SENDER", "PUBLIC_URL"], sendsEmail: true, readsHmacKey: false, directory: true },
};
