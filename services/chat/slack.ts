import {
  type KnownBlock,
  SlackError,
  WebAPIHTTPError,
  WebAPIPlatformError,
  type WebClient,
} from "@slack/web-api";

/** A message's notification text (what Slack shows where blocks are not) and its Block Kit blocks. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Slack refused a message for good (Slack's error code): the same call would fail again, so it is not retried. */
export interface Undeliverable {
  undeliverable: string;
}

/** The few Web API calls chat makes, so tests can stand in for Slack. */
export interface ChatSlack {
  /**
   * The Slack user with this email, or undefined when the workspace has none to message
   * (`users_not_found`, a deactivated user, a bot).
   */
  userIdByEmail(email: string): Promise<string | undefined>;
  /** Posts to a user (their direct message with the app) or a channel; where it went, by id, and its ts. */
  post(channel: string, message: SlackMessage): Promise<{ channel: string; ts: string } | Undeliverable>;
  /** Replaces a posted message; undefined once done. */
  update(channel: string, ts: string, message: SlackMessage): Promise<Undeliverable | undefined>;
}

/** chat.postMessage's errors that no retry mends: the channel is not the app's, or its reader left. */
const UNDELIVERABLE_POSTS = new Set([
  "not_in_channel",
  "channel_not_found",
  "is_archived",
  "user_disabled",
  "account_inactive",
]);

/** chat.update's errors that no retry mends: the message or its channel is gone, or Slack refuses what it shows. */
const UNDELIVERABLE_UPDATES = new Set([
  "message_not_found",
  "channel_not_found",
  "is_archived",
  "cant_update_message",
  "msg_too_long",
  "invalid_blocks",
]);

/** Slack's code of a failed call (`channel_not_found`, `slack_webapi_request_error`), or the error's name. */
export const slackErrorCodeOf = (error: unknown): string =>
  error instanceof WebAPIPlatformError
    ? error.data.error
    : error instanceof WebAPIHTTPError
      ? `${error.code}: HTTP ${error.statusCode}`
      : error instanceof SlackError
        ? error.code
        : error instanceof Error
          ? error.name
          : String(error);

/** A call Slack refused with one of these codes, as Undeliverable; any other failure thrown. */
const undeliverableIf = async <T>(codes: ReadonlySet<string>, call: () => Promise<T>) => {
  try {
    return await call();
  } catch (error) {
    if (error instanceof WebAPIPlatformError && codes.has(error.data.error)) {
      return { undeliverable: error.data.error };
    }
    throw error;
  }
};

/** A recipient whose message failed, and how. */
export interface RecipientFailure {
  recipient: string;
  error: unknown;
}

/** Some recipients' messages failed (the others went through): each named, with Slack's code. */
export class SlackRecipientsError extends AggregateError {
  override readonly name = "SlackRecipientsError";
  constructor(what: string, failures: readonly RecipientFailure[]) {
    super(
      failures.map(({ error }) => error),
      `${what} failed for ${failures.map(({ recipient, error }) => `${recipient} (${slackErrorCodeOf(error)})`).join(", ")}`,
      { cause: failures[0]?.error },
    );
  }
}

/**
 * Runs `send` for each recipient in turn, one's failure not keeping the others from theirs; then the
 * failures, each with its recipient, for the caller to throw together (SlackRecipientsError).
 */
export const eachRecipient = async <T>(
  items: readonly T[],
  recipientOf: (item: T) => string,
  send: (item: T) => Promise<void>,
): Promise<RecipientFailure[]> => {
  const failures: RecipientFailure[] = [];
  for (const item of items) {
    try {
      await send(item);
    } catch (error) {
      failures.push({ recipient: recipientOf(item), error });
    }
  }
  return failures;
};

/** Slack answered without what a posted message is known by. */
export class SlackAnswerError extends Error {
  override readonly name = "SlackAnswerError";
}

/**
 * Over the Web API client (services/shared/slack-client.ts): an unknown user is none, a message Slack
 * refuses for good is Undeliverable, anything else throws.
 */
export const chatSlackOf = (client: WebClient): ChatSlack => ({
  userIdByEmail: async (email) => {
    try {
      const { user } = await client.users.lookupByEmail({ email });
      // A deactivated account keeps its address, and a bot is nobody to ask.
      return user?.deleted || user?.is_bot ? undefined : user?.id;
    } catch (error) {
      if (error instanceof WebAPIPlatformError && error.data.error === "users_not_found") return undefined;
      throw error;
    }
  },
  post: (channel, { text, blocks }) =>
    undeliverableIf(UNDELIVERABLE_POSTS, async () => {
      const answer = await client.chat.postMessage({ channel, text, blocks });
      if (!answer.channel || !answer.ts) {
        throw new SlackAnswerError(`chat.postMessage to ${channel} answered without a channel and ts`);
      }
      return { channel: answer.channel, ts: answer.ts };
    }),
  update: (channel, ts, { text, blocks }) =>
    undeliverableIf(UNDELIVERABLE_UPDATES, async () => {
      await client.chat.update({ channel, ts, text, blocks });
      return undefined;
    }),
});
