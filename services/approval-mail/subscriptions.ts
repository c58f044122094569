import { ApprovalEscalated } from "../../events/approval-escalated.ts";
import { ApprovalStageStarted } from "../../events/approval-stage-started.ts";
import { ApproversReminded } from "../../events/approvers-reminded.ts";
import { APPROVALS_BUS } from "../../events/contract.ts";
import { producedBy } from "../../events/patterns.ts";
import { CLOSING_EVENTS } from "../shared/approval-asks.ts";
import type { Subscription } from "../shared/manifest.ts";

export const subscriptions: Subscription[] = [
  {
    kind: "event",
    name: "approval-mail-on-approval-stage-started",
    service: "approval-mail",
    description: "Emails each approver of a stage that starts an Approve and a Reject link.",
    eventBusName: APPROVALS_BUS,
    // Only decision starts stages: an ApprovalStageStarted from any other source asks nobody.
    pattern: producedBy(ApprovalStageStarted),
    handler: { entry: "services/approval-mail/handlers/on-approval-stage-started.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "approval-mail-on-request-closed",
    service: "approval-mail",
    description:
      "Tells each approver still asked, once, that the request was approved, rejected, expired or withdrawn by its requester, or that the extension of its lease they were asked about was decided, and that their links no longer work.",
    eventBusName: APPROVALS_BUS,
    pattern: producedBy(...CLOSING_EVENTS),
    handler: { entry: "services/approval-mail/handlers/on-request-closed.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "approval-mail-on-approvers-reminded",
    service: "approval-mail",
    description:
      "Reminds each approver of a stage who has not answered, once per reminder, with fresh Approve and Reject links.",
    eventBusName: APPROVALS_BUS,
    pattern: producedBy(ApproversReminded),
    handler: { entry: "services/approval-mail/handlers/on-approvers-reminded.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "approval-mail-on-approval-escalated",
    service: "approval-mail",
    description: "Asks the approvers an escalation added to a stage, once each, as the stage asks its own.",
    eventBusName: APPROVALS_BUS,
    pattern: producedBy(ApprovalEscalated),
    handler: { entry: "services/approval-mail/handlers/on-approval-escalated.ts", exportName: "handler" },
  },
];
