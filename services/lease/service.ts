import { LEASE_ROUTES } from "../../api/contract.ts";
import { LeaseTimerDue } from "../../events/lease-events.ts";
import {
  asProducer,
  type HandlerRef,
  routeOf,
  type ServiceManifest,
  SIGN_IN_SETTINGS,
} from "../shared/manifest.ts";
import { LEASE_EVENTS } from "./domain.ts";
import { subscriptions } from "./subscriptions.ts";
import { leasesTable, tables } from "./tables.ts";

const httpHandler: HandlerRef = { entry: "services/lease/http-handler.ts", exportName: "handler" };

export const service: ServiceManifest = {
  name: "lease",
  subscriptions,
  tables,
  http: {
    service: "lease",
    routes: LEASE_ROUTES.map(routeOf),
    handler: httpHandler,
    app: "services/lease/http.ts",
    access:
      "Every route admits signed-in users only: extend a request's requester to their own lease; release the requester to their own, operators to any",
  },
  // LeaseTimerDue goes out through its schedules (domain.ts timersOf): EventBridge Scheduler puts it on the bus.
  publishes: asProducer(...LEASE_EVENTS, LeaseTimerDue),
  // Every handler moves leases on and publishes the events its write owes (outbox.ts).
  uses: [httpHandler, ...subscriptions.map((subscription) => subscription.handler)].map((handler) => ({
    handler,
    writes: [leasesTable],
    publishes: LEASE_EVENTS,
  })),
  needs: {
    settings: ["LEASE_DEFAULT", "LEASE_MIN", "LEASE_MAX", "LEASE_REMINDERS", ...SIGN_IN_SETTINGS],
    sendsEmail: false,
    readsHmacKey: false,
    schedules: true,
  },
};
