import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { z } from "zod";
import { ApprovalStageCompleted } from "../../../events/approval-stage-completed.ts";
import { ApprovalVoteRecorded } from "../../../events/approval-vote-recorded.ts";
import { pinnedEnvelopeSchemaOf } from "../../../events/envelope.ts";
import { ExtensionDecided } from "../../../events/lease-events.ts";
import { approvalKeyOf, closingEventSchema } from "../../shared/approval-asks.ts";
import { observe } from "../../shared/observability.ts";
import { closureOfEvent } from "../approvers/domain.ts";
import { createApproverMessages } from "../approvers/messages.ts";
import { approverHandlerDeps } from "../approvers/wiring.ts";
import type { SlackApproversDeps } from "./slack-approvers-ask.ts";

export const updatingEventSchema = z.discriminatedUnion("detail-type", [
  pinnedEnvelopeSchemaOf(ApprovalVoteRecorded),
  pinnedEnvelopeSchemaOf(ApprovalStageCompleted),
  ...closingEventSchema.options,
]);

export type UpdatingEvent = z.output<typeof updatingEventSchema>;

/**
 * On a vote counted (ApprovalVoteRecorded), a stage's quorum reached (ApprovalStageCompleted) or the
 * approval's end (CLOSING_EVENTS), however it was decided (Slack, an email link, the portal, a policy):
 * the fact is recorded and every Slack message of the approval updated to it. The voter's loses its
 * buttons and says how they voted, the others show the count; a stage over, or the approval closed,
 * leaves no buttons and says how it ended. An outcome that comes before the ask is kept, so the ask
 * posts nothing.
 */
export const createSlackApproversUpdateHandler = (deps: SlackApproversDeps) => {
  const { store, chatSettings, slackOf, logger } = deps;
  const messages = createApproverMessages(deps);

  const recordFact = async (event: UpdatingEvent): Promise<string> => {
    switch (event["detail-type"]) {
      case ApprovalVoteRecorded.detailType: {
        const {
          requestId,
          extension,
          stage,
          approver,
          onBehalfOf,
          action,
          reason,
          approvals,
          quorum,
          votedAt,
        } = event.detail;
        const approvalKey = approvalKeyOf(requestId, extension);
        const vote = { stage: stage.index, approver, onBehalfOf, action, reason, approvals, quorum, votedAt };
        await store.recordVote(approvalKey, vote);
        return approvalKey;
      }
      case ApprovalStageCompleted.detailType: {
        const { requestId, extension, stage, completedAt } = event.detail;
        const approvalKey = approvalKeyOf(requestId, extension);
        await store.recordStageCompleted(approvalKey, stage.index, completedAt);
        return approvalKey;
      }
      default: {
        const { requestId, request } = event.detail;
        const extension =
          event["detail-type"] === ExtensionDecided.detailType ? event.detail.extension : undefined;
        const approvalKey = approvalKeyOf(requestId, extension);
        await store.recordClosure(approvalKey, { requestId, request, extension }, closureOfEvent(event));
        return approvalKey;
      }
    }
  };

  return async (event: UpdatingEvent): Promise<void> => {
    const slack = (await chatSettings()).slack;
    if (!slack) {
      logger.info("Slack is off: no approval message to update", { requestId: event.detail.requestId });
      return;
    }
    const approvalKey = await recordFact(event);
    await messages.refresh(slackOf(slack), approvalKey);
  };
};

const logger = new Logger({ serviceName: "chat" });

export const handler = middy(createSlackApproversUpdateHandler(approverHandlerDeps(logger)))
  .use(injectLambdaContext(logger))
  .use(observe("chat"))
  .use(parser({ schema: updatingEventSchema }));
