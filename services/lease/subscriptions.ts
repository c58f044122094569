import { APPROVALS_BUS } from "../../events/contract.ts";
import { LeaseTimerDue } from "../../events/lease-events.ts";
import { producedBy } from "../../events/patterns.ts";
import type { Subscription } from "../shared/manifest.ts";
import { LEASE_NEWS } from "./news.ts";

export const subscriptions: Subscription[] = [
  {
    kind: "event",
    name: "lease-on-lease-news",
    service: "lease",
    description:
      "Keeps each lease: starts it once the request is approved and its resource provisioned (either first), moves its end on an approved extension, records its release's outcome.",
    eventBusName: APPROVALS_BUS,
    pattern: producedBy(...LEASE_NEWS),
    handler: { entry: "services/lease/handlers/on-lease-news.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "lease-on-lease-timer-due",
    service: "lease",
    description:
      "Acts on a lease's due timer: reminds the requester before the end (LeaseExpiring), or ends the lease (ReleaseRequested).",
    eventBusName: APPROVALS_BUS,
    // Only the lease service's own schedules put LeaseTimerDue on the bus, with its source.
    pattern: producedBy(LeaseTimerDue),
    handler: { entry: "services/lease/handlers/on-lease-timer-due.ts", exportName: "handler" },
  },
  {
    kind: "schedule",
    name: "lease-outbox-sweeper",
    service: "lease",
    description: "Every minute: publishes the events and makes the schedules of leases a crash left owed.",
    schedule: "rate(1 minute)",
    handler: { entry: "services/lease/handlers/outbox-sweeper.ts", exportName: "handler" },
  },
];
