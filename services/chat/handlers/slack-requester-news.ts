import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { canonicalEmail } from "../../shared/canonical-email.ts";
import type { ChatSettings, SlackSettings } from "../../shared/chat-settings.ts";
import { type Directory, directory } from "../../shared/directory.ts";
import { observe } from "../../shared/observability.ts";
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
import {
  type ChatSlack,
  chatSlackOf,
  eachRecipient,
  type SlackMessage,
  SlackRecipientsError,
} from "../slack.ts";

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
 * (but the requester, who has their own), once each. Someone without a Slack account, or whom Slack
 * refuses a message for good, is skipped, and logged: email reaches them. Any other Slack error throws,
 * once the requester and every operator were tried, naming each that failed, so the bus retries and, in the end,
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
  const postTo = async (
    slack: NewsSlack,
    email: string,
    message: SlackMessage,
  ): Promise<DirectMessageOutcome> => {
    const userId = await slack.userIdByEmail(email);
    if (userId === undefined) return { notOnSlack: true };
    return slack.post(userId, message);
  };

  const logOutcome = (outcome: DirectMessageOutcome, what: string, fields: Record<string, unknown>) => {
    if ("notOnSlack" in outcome) logger.info(`${what}: not a Slack user, not messaged`, fields);
    else if ("undeliverable" in outcome)
      logger.warn(`${what}: Slack refused the message for good`, { ...fields, ...outcome });
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

  /** The operators to tell of a failed release, but its requester, who is told as such. */
  const operatorsOf = async (requesterEmail: string): Promise<string[]> => {
    const requester = canonicalEmail(requesterEmail);
    return (await directory.membersOf(OPERATORS_GROUP))
      .map(({ email }) => email)
      .filter((email) => canonicalEmail(email) !== requester);
  };

  return async (event: NotifiableEvent): Promise<void> => {
    const { slack: slackSettings } = await chatSettings();
    if (!slackSettings) {
      logger.info("Slack is not set up: the requester's news goes by email only", { eventId: event.id });
      return;
    }
    const slack = slackOf(slackSettings);
    const operators = tellsOperators(event)
      ? {
          emails: await operatorsOf(event.detail.request.requester.email),
          message: operatorSlackMessage(operatorNewsOf(event)),
        }
      : undefined;
    const readers: (string | undefined)[] = [undefined, ...(operators?.emails ?? [])];
    // The requester (undefined), then each operator: one's failure keeps none of the others from theirs.
    const failures = await eachRecipient(
      readers,
      (operator) => operator ?? "the requester",
      async (operator) => {
        if (operator === undefined || !operators) return tellRequester(slack, event);
        const { result } = await store.operatorMessageOnce(event.id, operator, () =>
          postTo(slack, operator, operators.message),
        );
        logOutcome(result, "Operator", { requestId: event.detail.requestId, eventId: event.id, operator });
      },
    );
    if (failures.length > 0) {
      throw new SlackRecipientsError(`Slack news of request ${event.detail.requestId}`, failures);
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
  .use(observe("chat"))
  .use(chatIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: notifiableEventSchema }));
