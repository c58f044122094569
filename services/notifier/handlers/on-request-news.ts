import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import type { Publisher } from "../../../events/publish.ts";
import { RequesterNotified } from "../../../events/requester-notified.ts";
import { publisher } from "../../shared/events.ts";
import { type OutgoingEmail, sendEmail } from "../../shared/mail.ts";
import { type NotifiableEvent, noticeOf, notifiableEventSchema } from "../domain.ts";
import { type NotificationStore, notificationStore, notifierIdempotency } from "../store.ts";

export interface RequestNewsDeps {
  store: NotificationStore;
  sendEmail: (email: OutgoingEmail) => Promise<string>;
  publish: Publisher["publish"];
  now: () => Date;
  logger: Logger;
}

/**
 * Emails the requester about a turn of their request, once per event however often it is delivered,
 * and reports it with `RequesterNotified`. Failures to send or publish throw, so the bus retries; so
 * does finding the email or its report in progress in another delivery (Powertools'
 * `IdempotencyAlreadyInProgressError`), whose retry then finds it done.
 */
export const createRequestNewsHandler =
  ({ store, sendEmail, publish, now, logger }: RequestNewsDeps) =>
  async (event: NotifiableEvent): Promise<void> => {
    const about = event["detail-type"];
    const { requestId, to, subject, text, html } = noticeOf(event);
    if (!to) {
      logger.info("No requester email in the event: nobody to notify", {
        requestId,
        about,
        eventId: event.id,
      });
      return;
    }
    const { result: sent } = await store.emailOnce(event.id, async () => ({
      messageId: await sendEmail({ to, subject, text, html }),
      sentAt: now().toISOString(),
    }));
    await store.announceOnce(event.id, () =>
      publish(RequesterNotified, {
        requestId,
        requesterEmail: to,
        about,
        aboutEventId: event.id,
        messageId: sent.messageId,
        notifiedAt: sent.sentAt,
      }),
    );
    logger.info("Requester notified", { requestId, about, eventId: event.id, messageId: sent.messageId });
  };

const logger = new Logger({ serviceName: "notifier" });

export const handler = middy(
  createRequestNewsHandler({
    store: notificationStore,
    sendEmail,
    publish: publisher.publish,
    now: () => new Date(),
    logger,
  }),
)
  .use(injectLambdaContext(logger))
  .use(notifierIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: notifiableEventSchema }));
