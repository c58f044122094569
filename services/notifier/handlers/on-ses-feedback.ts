import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { z } from "zod";
import { pinnedEnvelopeSchemaOf } from "../../../events/envelope.ts";
import { SesEmailBounced, SesEmailComplaintReceived } from "../../../events/ses-feedback.ts";
import { observe } from "../../shared/observability.ts";
import { type SesFeedbackEvent, suppressionsOf } from "../domain.ts";
import { type SuppressionStore, suppressionStore } from "../store.ts";

export const sesFeedbackSchema = z.discriminatedUnion("detail-type", [
  pinnedEnvelopeSchemaOf(SesEmailBounced),
  pinnedEnvelopeSchemaOf(SesEmailComplaintReceived),
]);

export interface SesFeedbackDeps {
  suppressions: Pick<SuppressionStore, "suppress">;
  logger: Logger;
}

/**
 * Suppresses the addresses SES reports as bouncing for good or complaining, so that the notifier mails
 * them no more (on-request-news.ts). Writing the same record again is harmless, so a redelivered event
 * needs no idempotency record; a failed write throws, so the bus retries.
 */
export const createSesFeedbackHandler =
  ({ suppressions, logger }: SesFeedbackDeps) =>
  async (event: SesFeedbackEvent): Promise<void> => {
    const suppressed = suppressionsOf(event);
    if (suppressed.length === 0) {
      logger.info("A transient bounce: the address stays mailed", { messageId: event.detail.mail.messageId });
      return;
    }
    for (const suppression of suppressed) {
      await suppressions.suppress(suppression);
      logger.warn("Address suppressed: no more email to it", { ...suppression });
    }
  };

const logger = new Logger({ serviceName: "notifier" });

export const handler = middy(createSesFeedbackHandler({ suppressions: suppressionStore, logger }))
  .use(injectLambdaContext(logger))
  .use(observe("notifier"))
  .use(parser({ schema: sesFeedbackSchema }));
