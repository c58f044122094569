import { ApprovalRequested } from "../../events/approval-requested.ts";
import { ApprovalTimerDue } from "../../events/approval-timer-due.ts";
import { APPROVALS_BUS } from "../../events/contract.ts";
import { DelegationChanged } from "../../events/delegation-changed.ts";
import { ExtensionRequested, ReleaseRequested } from "../../events/lease-events.ts";
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
    kind: "event",
    name: "decision-on-approval-timer-due",
    service: "decision",
    description:
      "Acts on an approval's due timer: reminds the stage's approvers who have not answered, escalates the stage, or expires the request.",
    eventBusName: APPROVALS_BUS,
    // Only decision's own schedules put ApprovalTimerDue on the bus, with decision's source.
    pattern: producedBy(ApprovalTimerDue),
    handler: { entry: "services/decision/handlers/on-approval-timer-due.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "decision-on-extension-requested",
    service: "decision",
    description:
      "Puts an extension of a lease through the approval policies: approves or refuses it at once, or opens a round of the request's approval with the policy's approvers.",
    eventBusName: APPROVALS_BUS,
    // Only the lease service asks for extensions, for leases it keeps.
    pattern: producedBy(ExtensionRequested),
    handler: { entry: "services/decision/handlers/on-extension-requested.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "decision-on-release-requested",
    service: "decision",
    description:
      "Closes a round still deciding an extension of the lease when its resource is released: the extension is refused, the round's links stop counting.",
    eventBusName: APPROVALS_BUS,
    // Only the lease service releases the resources of the leases it keeps.
    pattern: producedBy(ReleaseRequested),
    handler: { entry: "services/decision/handlers/on-release-requested.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "decision-on-delegation-changed",
    service: "decision",
    description:
      "Keeps decision's copy of the approvers' delegations, by which a stage asks an away approver's delegate.",
    eventBusName: APPROVALS_BUS,
    pattern: producedBy(DelegationChanged),
    handler: { entry: "services/decision/handlers/on-delegation-changed.ts", exportName: "handler" },
  },
  {
    kind: "schedule",
    name: "decision-expire-sweeper",
    service: "decision",
    description:
      "Every minute: publishes events and makes schedules a crash left owed, and expires pending approvals past their deadline that no timer expired (RequestExpired).",
    schedule: "rate(1 minute)",
    handler: { entry: "services/decision/handlers/expire-sweeper.ts", exportName: "handler" },
  },
];
