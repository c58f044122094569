import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { EmailSuppressed } from "../../../events/email-suppressed.ts";
import type { Publisher } from "../../../events/publish.ts";
import { RequesterNotified } from "../../../events/requester-notified.ts";
import { canonicalEmail } from "../../shared/canonical-email.ts";
import { type Directory, directory } from "../../shared/directory.ts";
import { publisher } from "../../shared/events.ts";
import { type OutgoingEmail, sendEmail } from "../../shared/mail.ts";
import { type BusinessMetrics, businessMetricsOf, metricsOf, observe } from "../../shared/observability.ts";
import {
  type NoticeSettings,
  type NotifiableEvent,
  notifiableEventSchema,
  OPERATORS_GROUP,
  tellsOperators,
} from "../../shared/request-news.ts";
import { publicUrl } from "../config.ts";
import { noticeOf, operatorNoticeOf } from "../domain.ts";
import {
  type NotificationStore,
  notificationStore,
  notifierIdempotency,
  type SuppressionStore,
  suppressionStore,
} from "../store.ts";

export interface RequestNewsDeps {
  store: NotificationStore;
  suppressions: Pick<SuppressionStore, "reasonFor">;
  sendEmail: (email: OutgoingEmail) => Promise<string>;
  publish: Publisher["publish"];
  directory: Pick<Directory, "membersOf">;
  settings: NoticeSettings;
  now: () => Date;
  logger: Logger;
  metrics: BusinessMetrics;
}

/**
 * Emails the requester about a turn of their request, once per event however often it is delivered,
 * and reports it with `RequesterNotified`; a failed release is also mailed to each operator (but the
 * requester, who has their own), once each. An address SES reported as bouncing for good or
 * complaining (on-ses-feedback.ts) is not mailed: the email is reported with `EmailSuppressed` instead,
 * which puts it on the request's timeline. Failures to send or publish throw, so the bus retries; so
 * does finding an email or its report in progress in another delivery (Powertools'
 * `IdempotencyAlreadyInProgressError`), whose retry then finds it done.
 */
export const createRequestNewsHandler = ({
  store,
  suppressions,
  sendEmail,
  publish,
  directory,
  settings,
  now,
  logger,
  metrics,
}: RequestNewsDeps) => {
  /** Runs inside each email's once-only effect, so an email is counted as often as it is sent. */
  const send = async (email: OutgoingEmail) => {
    const messageId = await sendEmail(email);
    metrics.count("EmailsSent");
    return { messageId, sentAt: now().toISOString() };
  };

  /** Whether `to` gets no email; if so, reports the email it does not get, once per event and recipient. */
  const isSuppressed = async (event: NotifiableEvent, to: string): Promise<boolean> => {
    const reason = await suppressions.reasonFor(canonicalEmail(to));
    if (!reason) return false;
    const { requestId } = event.detail;
    const about = event["detail-type"];
    await store.suppressionOnce(event.id, to, () => {
      metrics.count("EmailsSuppressed");
      return publish(EmailSuppressed, {
        requestId,
        recipient: to,
        reason,
        about,
        aboutEventId: event.id,
        suppressedAt: now().toISOString(),
      });
    });
    logger.warn("Email not sent: its recipient is suppressed", {
      requestId,
      about,
      eventId: event.id,
      recipient: to,
      reason,
    });
    return true;
  };

  const tellRequester = async (event: NotifiableEvent): Promise<void> => {
    const about = event["detail-type"];
    const notice = noticeOf(event, settings);
    if (!notice) {
      logger.info("Nothing to tell the requester of this event", {
        requestId: event.detail.requestId,
        about,
      });
      return;
    }
    const { requestId, to, subject, text, html } = notice;
    if (!to) {
      logger.info("No requester email in the event: nobody to notify", {
        requestId,
        about,
        eventId: event.id,
      });
      return;
    }
    if (await isSuppressed(event, to)) return;
    const { result: sent } = await store.emailOnce(event.id, () =>
      send({ to, subject, text, html, requestId }),
    );
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

  return async (event: NotifiableEvent): Promise<void> => {
    await tellRequester(event);
    if (!tellsOperators(event)) return;
    const requester = canonicalEmail(event.detail.request.requester.email);
    const operators = (await directory.membersOf(OPERATORS_GROUP))
      .map(({ email }) => email)
      .filter((email) => canonicalEmail(email) !== requester);
    for (const operator of operators) {
      if (await isSuppressed(event, operator)) continue;
      const { requestId, subject, text, html } = operatorNoticeOf(event, operator);
      await store.operatorEmailOnce(event.id, operator, () =>
        send({ to: operator, subject, text, html, requestId }),
      );
    }
    logger.info("Operators told of the failed release", {
      requestId: event.detail.requestId,
      eventId: event.id,
      operators,
    });
  };
};

const logger = new Logger({ serviceName: "notifier" });

export const handler = middy(
  createRequestNewsHandler({
    store: notificationStore,
    suppressions: suppressionStore,
    sendEmail,
    publish: publisher.publish,
    directory,
    settings: { publicUrl },
    now: () => new Date(),
    logger,
    metrics: businessMetricsOf(metricsOf("notifier")),
  }),
)
  .use(injectLambdaContext(logger))
  .use(observe("notifier"))
  .use(notifierIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: notifiableEventSchema }));
