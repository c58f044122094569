import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { canonicalEmail } from "../../shared/canonical-email.ts";
import type { ChatSettings, SlackSettings } from "../../shared/chat-settings.ts";
import { type Directory, directory } from "../../shared/directory.ts";
import {
  type NoticeSettings,
  type NotifiableEvent,
  notifiableEventSchema,
  OPERATORS_GROUP,
  operatorNewsOf,
  requesterEmailOf,
  requesterNewsOf,
  tellsOperators,
} from "../../shared/request-news.ts";
import { slackClientOf } from "../../shared/slack-client.ts";
import { chatSettings, publicUrl } from "../config.ts";
import { chatIdempotency } from "../idempotency.ts";
import { operatorSlackMessage, requesterSlackMessage } from "../news/slack-blocks.ts";
import { type DirectMessageOutcome, type NewsStore, newsStore } from "../news/store.ts";
import { type ChatSlack, chatSlackOf, type SlackMessage } from "../slack.ts";

/** The Web API calls the news makes: find a reader by address, post to them (which opens their direct messages). */
export type NewsSlack = Pick<ChatSlack, "userIdByEmail" | "post">;

export interface SlackRequesterNewsDeps {
  store: NewsStore;
  chatSettings: () => Promise<ChatSettings>;
  slackOf: (settings: SlackSettings) => NewsSlack;
  directory: Pick<Directory, "membersOf">;
  settings: NoticeSettings;
  logger: Logger;
}

/**
 * Tells the requester of a turn of their request in a Slack direct message, as the notifier does by
 * email, once per event however often it is delivered; a failed release is also told to each operator
 * (but the requester, who has their own), once each. Someone without a Slack account is skipped, and
 * logged: email reaches them. Any other Slack error throws, so the bus retries and, in the end,
 * dead-letters the event; so does finding a message in progress in another delivery (Powertools'
 * `IdempotencyAlreadyInProgressError`), whose retry then finds it done. Slack off: nothing to do.
 */
export const createSlackRequesterNewsHandler = ({
  store,
  chatSettings,
  slackOf,
  directory,
  settings,
  logger,
}: SlackRequesterNewsDeps) => {
  const postTo = async (slack: NewsSlack, email: string, message: SlackMessage) => {
    const userId = await slack.userIdByEmail(email);
    if (userId === undefined) return { notOnSlack: true } as const;
    return slack.post(userId, message);
  };

  const logOutcome = (outcome: DirectMessageOutcome, what: string, fields: Record<string, unknown>) => {
    if ("notOnSlack" in outcome) logger.info(`${what}: not a Slack user, not messaged`, fields);
    else logger.info(`${what}: messaged on Slack`, { ...fields, channel: outcome.channel, ts: outcome.ts });
  };

  const tellRequester = async (slack: NewsSlack, event: NotifiableEvent): Promise<void> => {
    const { requestId } = event.detail;
    const about = event["detail-type"];
    const news = requesterNewsOf(event, settings);
    if (!news) {
      logger.info("Nothing to tell the requester of this event", { requestId, about });
      return;
    }
    const requester = requesterEmailOf(event);
    if (!requester) {
      logger.info("No requester email in the event: nobody to message", {
        requestId,
        about,
        eventId: event.id,
      });
      return;
    }
    const { result } = await store.requesterMessageOnce(event.id, () =>
      postTo(slack, requester, requesterSlackMessage(news)),
    );
    logOutcome(result, "Requester", { requestId, about, eventId: event.id, requester });
  };

  return async (event: NotifiableEvent): Promise<void> => {
    const { slack: slackSettings } = await chatSettings();
    if (!slackSettings) {
      logger.info("Slack is not set up: the requester's news goes by email only", { eventId: event.id });
      return;
    }
    const slack = slackOf(slackSettings);
    await tellRequester(slack, event);
    if (!tellsOperators(event)) return;
    const requester = canonicalEmail(event.detail.request.requester.email);
    const operators = (await directory.membersOf(OPERATORS_GROUP))
      .map(({ email }) => email)
      .filter((email) => canonicalEmail(email) !== requester);
    const message = operatorSlackMessage(operatorNewsOf(event));
    for (const operator of operators) {
      const { result } = await store.operatorMessageOnce(event.id, operator, () =>
        postTo(slack, operator, message),
      );
      logOutcome(result, "Operator", { requestId: event.detail.requestId, eventId: event.id, operator });
    }
  };
};

const logger = new Logger({ serviceName: "chat" });

export const handler = middy(
  createSlackRequesterNewsHandler({
    store: newsStore,
    chatSettings,
    slackOf: (settings) => chatSlackOf(slackClientOf(settings)),
    directory,
    settings: { publicUrl },
    logger,
  }),
)
  .use(injectLambdaContext(logger))
  .use(chatIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: notifiableEventSchema }));
