import type { SlackSettings } from "../../shared/chat-settings.ts";
import { slackClientOf } from "../../shared/slack-client.ts";
import type { SlackView } from "./modal.ts";

/** The three Web API calls answering an interaction makes; tests fake them. */
export interface SlackApi {
  /** The email address on a Slack user's profile: none when they have none, or the app may not read it. */
  userEmail(userId: string): Promise<string | undefined>;
  /** Opens a modal for the user whose interaction gave `triggerId` (valid for 3 seconds, once). */
  openView(triggerId: string, view: SlackView): Promise<void>;
  /** A message in `channel` only `user` sees: how a refused click is told. */
  tellEphemeral(channel: string, user: string, text: string): Promise<void>;
}

/** The calls on the process's client for these settings; a call Slack refuses throws. */
export const slackApiOf = (settings: SlackSettings): SlackApi => {
  const client = slackClientOf(settings);
  return {
    userEmail: async (userId) =>
      (await client.users.info({ user: userId })).user?.profile?.email || undefined,
    openView: async (triggerId, view) => {
      await client.views.open({ trigger_id: triggerId, view });
    },
    tellEphemeral: async (channel, user, text) => {
      await client.chat.postEphemeral({ channel, user, text });
    },
  };
};
