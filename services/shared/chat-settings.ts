import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { z } from "zod";
import { env, loadConfig } from "./config.ts";
import type { FetchSecret } from "./hmac-key.ts";
import { keptUntilFailure } from "./kept-until-failure.ts";

/**
 * Where chat is reached, for the services that declare `needs.chat` (docs/CHAT.md). Chat is a second
 * channel: with nothing set, it is off and every chat handler does nothing.
 *
 * - Locally, from the environment: SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET, TEAMS_WEBHOOK_URL, and
 *   SLACK_API_URL (the local stand-in's Web API; unset is Slack's own).
 * - On AWS, from the Secrets Manager secret CHAT_SECRET_ARN names: JSON with `slackBotToken`,
 *   `slackSigningSecret` and `teamsWebhookUrl`, each optional but the first two together.
 * - Either way SLACK_APPROVALS_CHANNEL, not a secret, names a channel that also gets each approval request.
 */

export interface SlackSettings {
  botToken: string;
  signingSecret: string;
  /** The Web API's base URL (ending in `/`): Slack's own when absent. */
  apiUrl?: string;
  /** A channel (id or `#name`) that also gets every approval request; only asked approvers may act there. */
  approvalsChannel?: string;
}

export interface TeamsSettings {
  /** The Teams workflow's "When a Teams webhook request is received" URL. */
  webhookUrl: string;
}

export interface ChatSettings {
  /** Absent: Slack is off. */
  slack?: SlackSettings;
  /** Absent: Teams is off. */
  teams?: TeamsSettings;
}

export class ChatSettingsError extends Error {
  override readonly name = "ChatSettingsError";
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** https, or http to this machine (the local stand-in): a webhook URL carries its own credentials. */
export const webhookUrl = () =>
  z.url({ error: "must be an absolute URL" }).refine((value) => {
    const url = new URL(value);
    return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
  }, "must be an https URL");

const secretSchema = z.strictObject({
  slackBotToken: env.text().optional(),
  slackSigningSecret: env.text().optional(),
  teamsWebhookUrl: webhookUrl().optional(),
});

interface ChatSources {
  SLACK_BOT_TOKEN?: string | undefined;
  SLACK_SIGNING_SECRET?: string | undefined;
  TEAMS_WEBHOOK_URL?: string | undefined;
}

/** The settings from their sources, or a ChatSettingsError naming the field at fault. */
export const chatSettingsOf = (
  { SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, TEAMS_WEBHOOK_URL }: ChatSources,
  { SLACK_API_URL, SLACK_APPROVALS_CHANNEL }: { SLACK_API_URL?: string; SLACK_APPROVALS_CHANNEL?: string },
  where: { token: string; signingSecret: string },
): ChatSettings => {
  if ((SLACK_BOT_TOKEN === undefined) !== (SLACK_SIGNING_SECRET === undefined)) {
    const missing = SLACK_BOT_TOKEN === undefined ? where.token : where.signingSecret;
    throw new ChatSettingsError(
      `Invalid configuration: ${missing} is not set; Slack needs both the bot token and the signing secret`,
    );
  }
  return {
    ...(SLACK_BOT_TOKEN !== undefined &&
      SLACK_SIGNING_SECRET !== undefined && {
        slack: {
          botToken: SLACK_BOT_TOKEN,
          signingSecret: SLACK_SIGNING_SECRET,
          ...(SLACK_API_URL && { apiUrl: SLACK_API_URL.endsWith("/") ? SLACK_API_URL : `${SLACK_API_URL}/` }),
          ...(SLACK_APPROVALS_CHANNEL && { approvalsChannel: SLACK_APPROVALS_CHANNEL }),
        },
      }),
    ...(TEAMS_WEBHOOK_URL !== undefined && { teams: { webhookUrl: TEAMS_WEBHOOK_URL } }),
  };
};

/**
 * A provider of the chat settings: the environment's at once, or the secret's fetched once per process
 * and kept (a failed fetch is not kept, so the next call tries again).
 */
export const createChatSettingsProvider = (
  environment: Record<string, string | undefined> = process.env,
  fetchSecret: FetchSecret = (secretArn) => getSecret(secretArn),
): (() => Promise<ChatSettings>) => {
  const config = loadConfig(
    {
      CHAT_SECRET_ARN: env.text().optional(),
      SLACK_BOT_TOKEN: env.text().optional(),
      SLACK_SIGNING_SECRET: env.text().optional(),
      TEAMS_WEBHOOK_URL: webhookUrl().optional(),
      SLACK_API_URL: env.url().optional(),
      SLACK_APPROVALS_CHANNEL: env.text().optional(),
    },
    environment,
  );
  const { CHAT_SECRET_ARN: secretArn, SLACK_API_URL, SLACK_APPROVALS_CHANNEL } = config;
  const plain = { SLACK_API_URL, SLACK_APPROVALS_CHANNEL };
  if (secretArn === undefined) {
    const settings = chatSettingsOf(config, plain, {
      token: "SLACK_BOT_TOKEN",
      signingSecret: "SLACK_SIGNING_SECRET",
    });
    return async () => settings;
  }
  const fetchSettings = async (): Promise<ChatSettings> => {
    const value = await fetchSecret(secretArn);
    const text = typeof value === "string" ? value : Buffer.from(value ?? []).toString("utf8");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON.parse's message as the cause: it quotes the secret's first characters, and errors are logged.
      throw new ChatSettingsError(
        `The chat secret ${secretArn} is not JSON: it must be like {"slackBotToken": "xoxb-…", "slackSigningSecret": "…", "teamsWebhookUrl": "https://…"}`,
      );
    }
    const parsed = secretSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ChatSettingsError(
        `The chat secret ${secretArn}: ${issue?.path.join(".") || "(secret)"} ${issue?.message}`,
        { cause: parsed.error },
      );
    }
    const { slackBotToken, slackSigningSecret, teamsWebhookUrl } = parsed.data;
    return chatSettingsOf(
      {
        SLACK_BOT_TOKEN: slackBotToken,
        SLACK_SIGNING_SECRET: slackSigningSecret,
        TEAMS_WEBHOOK_URL: teamsWebhookUrl,
      },
      plain,
      { token: `${secretArn} slackBotToken`, signingSecret: `${secretArn} slackSigningSecret` },
    );
  };
  return keptUntilFailure(fetchSettings);
};
