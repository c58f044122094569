import { setTimeout as sleep } from "node:timers/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import type { ChatSettings } from "../../shared/chat-settings.ts";
import { observe } from "../../shared/observability.ts";
import type { NoticeSettings } from "../../shared/request-news.ts";
import { chatSettings, publicUrl } from "../config.ts";
import { chatIdempotency } from "../idempotency.ts";
import { type NewsStore, newsStore } from "../news/store.ts";
import { type TeamsEvent, teamsCardOf, teamsEventSchema } from "../teams/cards.ts";
import { createTeamsWebhook, type PostTeamsCard } from "../teams/webhook.ts";

export interface TeamsCardsDeps {
  store: NewsStore;
  chatSettings: () => Promise<ChatSettings>;
  postCard: PostTeamsCard;
  settings: NoticeSettings;
  logger: Logger;
}

/**
 * Posts the event's card to the Teams channel, once per event however often it is delivered: a request
 * waiting for approval, how an approval ended, what the provisioning made or why it failed. A refusal
 * throws (TeamsWebhookError), so the bus retries and, in the end, dead-letters the event; so does
 * finding the card in progress in another delivery. Teams off: nothing to do.
 */
export const createTeamsCardsHandler =
  ({ store, chatSettings, postCard, settings, logger }: TeamsCardsDeps) =>
  async (event: TeamsEvent): Promise<void> => {
    const { requestId } = event.detail;
    const about = event["detail-type"];
    const { teams } = await chatSettings();
    if (!teams) {
      logger.info("Teams is not set up: no card posted", { requestId, about, eventId: event.id });
      return;
    }
    const card = teamsCardOf(event, settings);
    if (!card) {
      logger.info("Nothing to post to Teams of this event", { requestId, about, eventId: event.id });
      return;
    }
    const { ran, result } = await store.teamsCardOnce(event.id, () => postCard(teams.webhookUrl, card));
    logger.info(ran ? "Card posted to Teams" : "Card already posted to Teams", {
      requestId,
      about,
      eventId: event.id,
      status: result.status,
    });
  };

const logger = new Logger({ serviceName: "chat" });

export const handler = middy(
  createTeamsCardsHandler({
    store: newsStore,
    chatSettings,
    postCard: createTeamsWebhook({ fetch, sleep }),
    settings: { publicUrl },
    logger,
  }),
)
  .use(injectLambdaContext(logger))
  .use(observe("chat"))
  .use(chatIdempotency.lambdaContextMiddleware)
  .use(parser({ schema: teamsEventSchema }));
