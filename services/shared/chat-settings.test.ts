import { describe, expect, it, vi } from "vitest";
import { ChatSettingsError, createChatSettingsProvider } from "./chat-settings.ts";
import { ConfigError } from "./config.ts";

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:approvals-chat-AbCdEf";

describe("chat settings from the environment (local mode)", () => {
  it("are off, Slack and Teams both, when nothing is set", async () => {
    expect(await createChatSettingsProvider({})()).toEqual({});
  });

  it("turn Slack on with its bot token and signing secret, and Teams with its webhook", async () => {
    const settings = await createChatSettingsProvider({
      SLACK_BOT_TOKEN: "xoxb-1",
      SLACK_SIGNING_SECRET: "shh",
      SLACK_API_URL: "http://localhost:8005/slack/api",
      SLACK_APPROVALS_CHANNEL: "#approvals",
      TEAMS_WEBHOOK_URL: "http://localhost:8005/teams/webhook",
    })();
    expect(settings).toEqual({
      slack: {
        botToken: "xoxb-1",
        signingSecret: "shh",
        apiUrl: "http://localhost:8005/slack/api/",
        approvalsChannel: "#approvals",
      },
      teams: { webhookUrl: "http://localhost:8005/teams/webhook" },
    });
  });

  it("refuse a bot token without its signing secret, naming the one missing", () => {
    expect(() => createChatSettingsProvider({ SLACK_BOT_TOKEN: "xoxb-1" })).toThrow(
      /SLACK_SIGNING_SECRET is not set/,
    );
    expect(() => createChatSettingsProvider({ SLACK_SIGNING_SECRET: "shh" })).toThrow(
      /SLACK_BOT_TOKEN is not set/,
    );
  });

  it("refuse a Teams webhook that is not https, unless it is this machine's stand-in", () => {
    expect(() => createChatSettingsProvider({ TEAMS_WEBHOOK_URL: "http://teams.example.com/hook" })).toThrow(
      ConfigError,
    );
    expect(() => createChatSettingsProvider({ TEAMS_WEBHOOK_URL: "http://example.com/hook" })).toThrow(
      /TEAMS_WEBHOOK_URL must be an https URL/,
    );
  });
});

describe("chat settings from the chat secret (on AWS)", () => {
  it("are read once from the secret's JSON, with the channel from the environment", async () => {
    const fetchSecret = vi.fn(async () =>
      JSON.stringify({
        slackBotToken: "xoxb-2",
        slackSigningSecret: "shh",
        teamsWebhookUrl: "https://prod.westeurope.logic.azure.com/workflows/1",
      }),
    );
    const settings = createChatSettingsProvider(
      { CHAT_SECRET_ARN: SECRET_ARN, SLACK_APPROVALS_CHANNEL: "C0123" },
      fetchSecret,
    );
    const expected = {
      slack: { botToken: "xoxb-2", signingSecret: "shh", approvalsChannel: "C0123" },
      teams: { webhookUrl: "https://prod.westeurope.logic.azure.com/workflows/1" },
    };
    expect(await settings()).toEqual(expected);
    expect(await settings()).toEqual(expected);
    expect(fetchSecret).toHaveBeenCalledTimes(1);
  });

  it("leave a channel off that the secret leaves out", async () => {
    const settings = createChatSettingsProvider({ CHAT_SECRET_ARN: SECRET_ARN }, async () =>
      JSON.stringify({ teamsWebhookUrl: "https://prod.westeurope.logic.azure.com/workflows/1" }),
    );
    expect(await settings()).toEqual({
      teams: { webhookUrl: "https://prod.westeurope.logic.azure.com/workflows/1" },
    });
  });

  it("fail naming the secret's field at fault, and try the secret again on the next call", async () => {
    const fetchSecret = vi
      .fn<(arn: string) => Promise<string>>()
      .mockResolvedValueOnce("not json")
      .mockResolvedValueOnce(JSON.stringify({ slackBotToken: "xoxb-3" }))
      .mockResolvedValueOnce(JSON.stringify({ teamsWebhookUrl: "http://example.com/hook" }))
      .mockResolvedValueOnce(JSON.stringify({ slackBotToken: "xoxb-3", slackSigningSecret: "shh" }));
    const settings = createChatSettingsProvider({ CHAT_SECRET_ARN: SECRET_ARN }, fetchSecret);
    await expect(settings()).rejects.toThrow(ChatSettingsError);
    await expect(settings()).rejects.toThrow(/slackSigningSecret is not set/);
    await expect(settings()).rejects.toThrow(/teamsWebhookUrl must be an https URL/);
    expect(await settings()).toEqual({ slack: { botToken: "xoxb-3", signingSecret: "shh" } });
  });

  it("say a secret that is not JSON is not, quoting none of it, in the message or a cause", async () => {
    const settings = createChatSettingsProvider(
      { CHAT_SECRET_ARN: SECRET_ARN },
      async () => "s3cr3t-token-leaked",
    );

    const error = await settings().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(ChatSettingsError);
    expect((error as Error).message).toMatch(/^The chat secret arn:\S+ is not JSON/);
    expect((error as Error).cause).toBeUndefined();
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain("s3cr3t");
  });
});
