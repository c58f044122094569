import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { z } from "zod";
import { ApprovalEscalated } from "../../../events/approval-escalated.ts";
import { ApprovalStageStarted } from "../../../events/approval-stage-started.ts";
import { pinnedEnvelopeSchemaOf } from "../../../events/envelope.ts";
import { approvalKeyOf } from "../../shared/approval-asks.ts";
import type { ChatSettings, SlackSettings } from "../../shared/chat-settings.ts";
import { observe } from "../../shared/observability.ts";
import { draftsOf } from "../approvers/domain.ts";
import { createApproverMessages } from "../approvers/messages.ts";
import type { ApprovalMessageStore } from "../approvers/store.ts";
import { approverHandlerDeps } from "../approvers/wiring.ts";
import { chatIdempotency } from "../idempotency.ts";
import type { ChatSlack } from "../slack.ts";

export const askingEventSchema = z.discriminatedUnion("detail-type", [
  pinnedEnvelopeSchemaOf(ApprovalStageStarted),
  pinnedEnvelopeSchemaOf(ApprovalEscalated),
]);

export type AskingEvent = z.output<typeof askingEventSchema>;

export interface SlackApproversDeps {
  store: ApprovalMessageStore;
  chatSettings: () => Promise<ChatSettings>;
  slackOf: (settings: SlackSettings) => ChatSlack;
  publicUrl: string;
  logger: Logger;
}

/**
 * On ApprovalStageStarted: one Slack direct message to each approver the stage asks (never the
 * requester; one without a Slack account is skipped), and one post in the approvals channel if there
 * is one, each with Approve and Reject; the earlier stage's messages then say it is over. On
 * ApprovalEscalated: the same to each approver the escalation added. Each message once per approval,
 * stage and recipient, however often the event is delivered; none once the approval ended.
 */
export const createSlackApproversAskHandler = (deps: SlackApproversDeps) => {
  const { store, chatSettings, slackOf, logger } = deps;
  const messages = createApproverMessages(deps);
  return async (event: AskingEvent): Promise<void> => {
    const { detail } = event;
    const slack = (await chatSettings()).slack;
    if (!slack) {
      logger.info("Slack is off: no approver asked there", { requestId: detail.requestId });
      return;
    }
    const approvalKey = approvalKeyOf(detail.requestId, detail.extension);
    const { requestId, request, lease, extension, stage, quorum, expiresAt } = detail;
    await store.recordAsked(
      approvalKey,
      { requestId, request, lease, extension },
      { stage, quorum, expiresAt },
    );
    const escalation = event["detail-type"] === ApprovalEscalated.detailType;
    const approvers = escalation
      ? event.detail.approvers.map((email) => ({ email }))
      : event.detail.approvers;
    const drafts = draftsOf(stage.index, approvers, request.requester.email, {
      escalation,
      approvalsChannel: slack.approvalsChannel,
    });
    await messages.ask(slackOf(slack), approvalKey, drafts, slack.approvalsChannel);
  };
};

const logger = new Logger({ serviceName: "chat" });

export const handler = middy(createSlackApproversAskHandler(approverHandlerDeps(logger)))
  .use(injectLambdaContext(logger))
  .use(observe("chat"))
  .use(chatIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: askingEventSchema }));
