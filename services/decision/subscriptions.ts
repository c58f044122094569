import { ApprovalRequested } from "../../events/approval-requested.ts";
import { APPROVALS_BUS } from "../../events/contract.ts";
import { producedBy } from "../../events/patterns.ts";
import type { Subscription } from "../shared/manifest.ts";

export const subscriptions: Subscription[] = [
  {
    kind: "event",
    name: "decision-on-approval-requested",
    service: "decision",
    description:
      "Records the approval approval-mail asked for: its approvers, their links' hashes, its deadline.",
    eventBusName: APPROVALS_BUS,
    // Only approval-mail signs links: an ApprovalRequested from any other source grants nothing.
    pattern: producedBy(ApprovalRequested),
    handler: { entry: "services/decision/handlers/on-approval-requested.ts", exportName: "handler" },
  },
  {
    kind: "schedule",
    name: "decision-expire-sweeper",
    service: "decision",
    description:
      "Every minute: expires pending approvals past their deadline (RequestExpired) and publishes outcomes a crash left unpublished.",
    schedule: "rate(1 minute)",
    handler: { entry: "services/decision/handlers/expire-sweeper.ts", exportName: "handler" },
  },
];
