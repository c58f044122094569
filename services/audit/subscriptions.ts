import { APPROVALS_BUS, FLOW_EVENTS, producedBy } from "../../events/index.ts";
import type { Subscription } from "../shared/manifest.ts";

export const subscriptions: Subscription[] = [
  {
    kind: "event",
    name: "audit-on-flow-event",
    service: "audit",
    description: "Records every event of the flow on its request's timeline and keeps the request view.",
    eventBusName: APPROVALS_BUS,
    // Each event only from its producers, so nobody else can rewrite a request's status; requests from anyone.
    pattern: producedBy(...FLOW_EVENTS),
    handler: { entry: "services/audit/handlers/on-flow-event.ts", exportName: "handler" },
  },
];
