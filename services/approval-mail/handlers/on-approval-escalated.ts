import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { ApprovalEscalated } from "../../../events/approval-escalated.ts";
import { approvalKeyOf } from "../../shared/approval-asks.ts";
import { observe } from "../../shared/observability.ts";
import { createFollowUpMailer, type Escalated } from "../follow-up.ts";
import type { MailingStore } from "../store.ts";
import { approvalMailIdempotency, mailingStore } from "../wiring.ts";
import { linkMailingDeps } from "./link-mailing-deps.ts";

/** An escalation came before the stage's own mailing; the bus retries it once that mailing exists. */
export class StageNotMailedYetError extends Error {
  override readonly name = "StageNotMailedYetError";
}

/**
 * On ApprovalEscalated: the added approvers are recorded on the stage's mailing (so they hear how the
 * request ended) and asked as the stage asks its own, as escalation, once each.
 */
export const createOnApprovalEscalatedHandler =
  (mail: ReturnType<typeof createFollowUpMailer>, store: Pick<MailingStore, "addEscalated">) =>
  async (escalated: Escalated): Promise<void> => {
    const { stage } = escalated;
    const approvalKey = approvalKeyOf(escalated.requestId, escalated.extension);
    if (!(await store.addEscalated(approvalKey, stage.index, escalated.approvers))) {
      throw new StageNotMailedYetError(
        `The approvers of ${approvalKey}, stage ${stage.index}, are not mailed yet: the escalation waits`,
      );
    }
    await mail(escalated, { kind: "escalation" });
  };

const logger = new Logger({ serviceName: "approval-mail" });

export const handler = middy(
  createOnApprovalEscalatedHandler(createFollowUpMailer(linkMailingDeps(logger)), mailingStore),
)
  .use(injectLambdaContext(logger))
  .use(observe("approval-mail"))
  .use(approvalMailIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: ApprovalEscalated.schema, envelope: EventBridgeEnvelope }));
