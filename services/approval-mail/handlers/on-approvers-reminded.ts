import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { ApproversReminded } from "../../../events/approvers-reminded.ts";
import { observe } from "../../shared/observability.ts";
import { createFollowUpMailer, type Reminded } from "../follow-up.ts";
import { approvalMailIdempotency } from "../wiring.ts";
import { linkMailingDeps } from "./link-mailing-deps.ts";

/** On ApproversReminded: each approver who has not answered gets reminder n of max, with fresh links. */
export const createOnApproversRemindedHandler =
  (mail: ReturnType<typeof createFollowUpMailer>) =>
  async (reminded: Reminded): Promise<void> => {
    await mail(reminded, { kind: "reminder", ...reminded.reminder });
  };

const logger = new Logger({ serviceName: "approval-mail" });

export const handler = middy(createOnApproversRemindedHandler(createFollowUpMailer(linkMailingDeps(logger))))
  .use(injectLambdaContext(logger))
  .use(observe("approval-mail"))
  .use(approvalMailIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: ApproversReminded.schema, envelope: EventBridgeEnvelope }));
