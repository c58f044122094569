import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { ExtensionDecided } from "../../../events/lease-events.ts";
import {
  approvalKeyOf,
  type ClosingEvent,
  closingEventSchema,
  closureOf,
  stillAsked,
} from "../../shared/approval-asks.ts";
import { type OutgoingEmail, sendEmail } from "../../shared/mail.ts";
import { type BusinessMetrics, businessMetricsOf, metricsOf, observe } from "../../shared/observability.ts";
import { closureEmail } from "../email.ts";
import type { MailingStore } from "../store.ts";
import { approvalMailIdempotency, mailingStore } from "../wiring.ts";

export interface RequestClosedDeps {
  store: MailingStore;
  sendEmail: (email: OutgoingEmail) => Promise<string>;
  logger: Logger;
  metrics: BusinessMetrics;
}

/**
 * On RequestApproved, RequestRejected, RequestExpired or RequestCancelled, and on ExtensionDecided for a
 * round of an extension: one short email to each approver approval-mail asked about the request (or the
 * round), in any stage, who did not vote: what happened, by whom, and that their links no longer work
 * (decision refuses them once it is decided). Each approver's email is sent once per approval (an effect
 * of its own, keyed by request or round and approver), however often the outcome is delivered; a failed
 * send throws, so the bus retries and only the approvers not yet mailed get one. An approval decided
 * without asking anyone (a policy's auto-approval or denial) has no mailing: nobody is mailed.
 */
export const createRequestClosedHandler =
  ({ store, sendEmail, logger, metrics }: RequestClosedDeps) =>
  async (event: ClosingEvent): Promise<void> => {
    const { requestId, request } = event.detail;
    const extension =
      event["detail-type"] === ExtensionDecided.detailType ? event.detail.extension : undefined;
    const approvalKey = approvalKeyOf(requestId, extension);
    const { ended, outcome, voted } = closureOf(event);
    const mailings = await store.mailingsOf(approvalKey);
    const toTell = stillAsked(
      mailings.map(({ approvers, escalatedTo }) => [...approvers, ...(escalatedTo ?? [])]),
      voted,
    );
    for (const approver of toTell) {
      const { ran } = await store.sendClosureOnce(approvalKey, approver, () =>
        sendEmail(closureEmail({ request, approver, ended, outcome, extension })),
      );
      if (ran) metrics.count("EmailsSent");
    }
    logger.info("Approvers still asked told how the request ended", {
      requestId,
      extension: extension?.n,
      about: event["detail-type"],
      approvers: toTell,
    });
  };

const logger = new Logger({ serviceName: "approval-mail" });

export const handler = middy(
  createRequestClosedHandler({
    store: mailingStore,
    sendEmail,
    logger,
    metrics: businessMetricsOf(metricsOf("approval-mail")),
  }),
)
  .use(injectLambdaContext(logger))
  .use(observe("approval-mail"))
  .use(approvalMailIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: closingEventSchema }));
