import { ApprovalRequested } from "../../events/approval-requested.ts";
import { APPROVALS_BUS } from "../../events/contract.ts";
import { producedBy } from "../../events/patterns.ts";
import { RequestAccepted } from "../../events/request-accepted.ts";
import type { Subscription } from "../shared/manifest.ts";

export const subscriptions: Subscription[] = [
  {
    kind: "event",
    name: "decision-on-request-accepted",
    service: "decision",
    description:
      "Applies the approval policies: auto-approves, denies, or opens the approval with its first stage's approvers.",
    eventBusName: APPROVALS_BUS,
    pattern: producedBy(RequestAccepted),
    handler: { entry: "services/decision/handlers/on-request-accepted.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "decision-on-approval-requested",
    service: "decision",
    description: "Records the links approval-mail sent for a stage (their hashes), so they may decide.",
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
      "Every minute: expires pending approvals past their deadline (RequestExpired) and publishes events a crash left unpublished.",
    schedule: "rate(1 minute)",
    handler: { entry: "services/decision/handlers/expire-sweeper.ts", exportName: "handler" },
  },
];
