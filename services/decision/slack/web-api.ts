import { WebAPIPlatformError, type WebClient } from "@slack/web-api";
import type { SlackSettings } from "../../shared/chat-settings.ts";
import { slackClientOf } from "../../shared/slack-client.ts";
import type { SlackView } from "./modal.ts";

/** The Web API calls answering an interaction makes; tests fake them. */
export interface SlackApi {
  /**
   * The email address a Slack user vouches for: none when the account cannot vouch for any (see
   * `vouchesForEmail`), or Slack no longer shows it to the app.
   */
  userEmail(userId: string): Promise<string | undefined>;
  /** Opens a modal for the user whose interaction gave `triggerId` (valid for 3 seconds, once). */
  openView(triggerId: string, view: SlackView): Promise<void>;
  /** A message in `channel` only `user` sees: how a refused click is told. */
  tellEphemeral(channel: string, user: string, text: string): Promise<void>;
}

/**
 * Slack gives an interaction 3 seconds for its answer, and a trigger id 3 seconds to open a modal: a
 * call is not tried again, and one that takes longer fails while there is still time to say so.
 */
const INTERACTION_CALLS = { retries: 0, timeoutMs: 2_500 };

/** users.info's answers for a user the app may not see: no identity to decide with, not a failure. */
const UNSEEN_USER_ERRORS = new Set(["user_not_found", "user_not_visible"]);

type SlackUser = NonNullable<Awaited<ReturnType<WebClient["users"]["info"]>>["user"]>;

/**
 * Whether a user's profile email is theirs to decide with: a person (no bot), still a member, of the
 * app's own workspace (no Slack Connect stranger, who could carry any address), who confirmed it.
 */
const vouchesForEmail = (user: SlackUser, workspace: string): boolean =>
  !user.deleted &&
  !user.is_bot &&
  !user.is_stranger &&
  user.team_id === workspace &&
  user.is_email_confirmed === true;

/** The app's own workspace, asked of Slack once per client (a failed ask is asked again). */
const workspaces = new WeakMap<WebClient, Promise<string>>();
const workspaceOf = (client: WebClient): Promise<string> => {
  let workspace = workspaces.get(client);
  if (!workspace) {
    workspace = client.auth.test().then(({ team_id }) => {
      if (!team_id) throw new Error("Slack's auth.test named no team_id");
      return team_id;
    });
    workspace.catch(() => workspaces.delete(client));
    workspaces.set(client, workspace);
  }
  return workspace;
};

/** The calls on the process's interaction client for these settings; any other refusal of Slack's throws. */
export const slackApiOf = (settings: SlackSettings): SlackApi => {
  const client = slackClientOf(settings, INTERACTION_CALLS);
  return {
    userEmail: async (userId) => {
      const [user, workspace] = await Promise.all([
        client.users.info({ user: userId }).then(
          (answer) => answer.user,
          (error: unknown) => {
            if (error instanceof WebAPIPlatformError && UNSEEN_USER_ERRORS.has(error.data.error)) {
              return undefined;
            }
            throw error;
          },
        ),
        workspaceOf(client),
      ]);
      return (user && vouchesForEmail(user, workspace) && user.profile?.email) || undefined;
    },
    openView: async (triggerId, view) => {
      await client.views.open({ trigger_id: triggerId, view });
    },
    tellEphemeral: async (channel, user, text) => {
      await client.chat.postEphemeral({ channel, user, text });
    },
  };
};
