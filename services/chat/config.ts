import { createChatSettingsProvider } from "../shared/chat-settings.ts";
import { env, loadConfig } from "../shared/config.ts";
import { idempotencyTable, messagesTable } from "./tables.ts";

const config = loadConfig({
  PUBLIC_URL: env.url(),
  [idempotencyTable.tableNameEnv]: env.text(),
  [messagesTable.tableNameEnv]: env.text(),
});

export const idempotencyTableName = config[idempotencyTable.tableNameEnv];
export const messagesTableName = config[messagesTable.tableNameEnv];

/** The portal, which every message links to. */
export const publicUrl = config.PUBLIC_URL;

/** Slack's and Teams' settings, read once per process (from the chat secret on AWS). */
export const chatSettings = createChatSettingsProvider();
