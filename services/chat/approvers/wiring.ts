import type { Logger } from "@aws-lambda-powertools/logger";
import type { SlackSettings } from "../../shared/chat-settings.ts";
import { documentClientOf } from "../../shared/dynamo.ts";
import { slackClientOf } from "../../shared/slack-client.ts";
import { chatSettings, messagesTableName, publicUrl } from "../config.ts";
import { chatDynamoDbClient, chatIdempotency } from "../idempotency.ts";
import { chatSlackOf } from "../slack.ts";
import { createApprovalMessageStore } from "./store.ts";

const store = createApprovalMessageStore(
  messagesTableName,
  documentClientOf(chatDynamoDbClient),
  chatIdempotency,
);

/** What both wired approver handlers work with. */
export const approverHandlerDeps = (logger: Logger) => ({
  store,
  chatSettings,
  slackOf: (settings: SlackSettings) => chatSlackOf(slackClientOf(settings)),
  publicUrl,
  logger,
});
