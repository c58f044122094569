import { type KnownBlock, WebAPIPlatformError, type WebClient } from "@slack/web-api";

/** A message's notification text (what Slack shows where blocks are not) and its Block Kit blocks. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** The few Web API calls chat makes, so tests can stand in for Slack. */
export interface ChatSlack {
  /** The Slack user with this email, or undefined when the workspace has none (`users_not_found`). */
  userIdByEmail(email: string): Promise<string | undefined>;
  /** Posts to a user (their direct message with the app) or a channel; where it went, by id, and its ts. */
  post(channel: string, message: SlackMessage): Promise<{ channel: string; ts: string }>;
  update(channel: string, ts: string, message: SlackMessage): Promise<void>;
}

/** Slack answered without what a posted message is known by. */
export class SlackAnswerError extends Error {
  override readonly name = "SlackAnswerError";
}

/** Over the Web API client (services/shared/slack-client.ts): anything but an unknown user throws. */
export const chatSlackOf = (client: WebClient): ChatSlack => ({
  userIdByEmail: async (email) => {
    try {
      return (await client.users.lookupByEmail({ email })).user?.id;
    } catch (error) {
      if (error instanceof WebAPIPlatformError && error.data.error === "users_not_found") return undefined;
      throw error;
    }
  },
  post: async (channel, { text, blocks }) => {
    const answer = await client.chat.postMessage({ channel, text, blocks });
    if (!answer.channel || !answer.ts) {
      throw new SlackAnswerError(`chat.postMessage to ${channel} answered without a channel and ts`);
    }
    return { channel: answer.channel, ts: answer.ts };
  },
  update: async (channel, ts, { text, blocks }) => {
    await client.chat.update({ channel, ts, text, blocks });
  },
});
