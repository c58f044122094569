import { APPROVALS_BUS } from "../../events/contract.ts";
import { producedBy } from "../../events/patterns.ts";
import { ResourceRequested } from "../../events/resource-requested.ts";
import type { Subscription } from "../shared/manifest.ts";

export const subscriptions: Subscription[] = [
  {
    kind: "event",
    name: "intake-on-resource-requested",
    service: "intake",
    description:
      "Validates every ResourceRequested, whoever published it, and answers RequestAccepted or RequestInvalid.",
    eventBusName: APPROVALS_BUS,
    // The catalog opens ResourceRequested to any source: outside systems publish requests under their own.
    pattern: producedBy(ResourceRequested),
    handler: { entry: "services/intake/handlers/on-resource-requested.ts", exportName: "handler" },
  },
];
