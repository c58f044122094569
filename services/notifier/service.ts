import { RequesterNotified } from "../../events/requester-notified.ts";
import { asProducer, type ServiceManifest } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { tables } from "./tables.ts";

export const service: ServiceManifest = {
  name: "notifier",
  subscriptions,
  tables,
  publishes: asProducer(RequesterNotified),
  needs: { settings: ["SENDER"], sendsEmail: true, readsHmacKey: false },
};
