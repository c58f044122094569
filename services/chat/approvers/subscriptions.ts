import { ApprovalEscalated } from "../../../events/approval-escalated.ts";
import { ApprovalStageCompleted } from "../../../events/approval-stage-completed.ts";
import { ApprovalStageStarted } from "../../../events/approval-stage-started.ts";
import { ApprovalVoteRecorded } from "../../../events/approval-vote-recorded.ts";
import { APPROVALS_BUS } from "../../../events/contract.ts";
import { producedBy } from "../../../events/patterns.ts";
import { CLOSING_EVENTS } from "../../shared/approval-asks.ts";
import type { Subscription } from "../../shared/manifest.ts";

/** Slack messages that ask approvers, and their updates as votes are counted and the approval ends. */
export const approverSubscriptions: Subscription[] = [
  {
    kind: "event",
    name: "chat-slack-ask-approvers",
    service: "chat",
    description:
      "Sends each approver a stage or its escalation asks one Slack direct message with Approve and Reject (and posts it once in the approvals channel), and marks the earlier stage's messages over.",
    eventBusName: APPROVALS_BUS,
    // Only decision starts and escalates stages: the same events from any other source ask nobody.
    pattern: producedBy(ApprovalStageStarted, ApprovalEscalated),
    handler: { entry: "services/chat/handlers/slack-approvers-ask.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "chat-slack-update-approver-messages",
    service: "chat",
    description:
      "Updates every Slack message of an approval when a vote is counted, a stage completes or the approval ends, however it was decided: the voters' and a closed approval's lose their buttons and say how it stands.",
    eventBusName: APPROVALS_BUS,
    pattern: producedBy(ApprovalVoteRecorded, ApprovalStageCompleted, ...CLOSING_EVENTS),
    handler: { entry: "services/chat/handlers/slack-approvers-update.ts", exportName: "handler" },
  },
];
