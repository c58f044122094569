import { LogLevel, type RetryOptions, WebAPIRequestError, WebClient } from "@slack/web-api";
import type { SlackSettings } from "./chat-settings.ts";

/** How a client tries each call: how often again after a 429, and how long it waits for an answer. */
export interface SlackCallOptions {
  retries: number;
  timeoutMs: number;
}

/**
 * For the handlers of events: a call at most 10 s, long enough for Slack's slowest methods, short
 * enough that a Lambda still has time to fail cleanly.
 */
const EVENT_HANDLING: SlackCallOptions = { retries: 2, timeoutMs: 10_000 };

const clients = new Map<string, WebClient>();

/**
 * Tries a call again only after a 429, which the client has waited out: it then fails the attempt with
 * a request error wrapping its own "A rate limit was exceeded" (services/chat/slack.test.ts holds it to
 * that). A 5xx or a timeout may come after Slack accepted a chat.postMessage, and trying that again
 * here would post a second copy, so they throw at once. `onFailedAttempt` is p-retry's (the client's
 * retry), which the client's types leave out.
 */
const RATE_LIMITS_ONLY: RetryOptions & { onFailedAttempt: (error: Error) => void } = {
  factor: 2,
  minTimeout: 200,
  maxTimeout: 2_000,
  onFailedAttempt: (error) => {
    const rateLimited =
      error instanceof WebAPIRequestError && error.original.message.startsWith("A rate limit was exceeded");
    if (!rateLimited) throw error;
  },
};

/**
 * The Web API client for these settings and options, made once per process. A rate-limited call waits
 * the `Retry-After` Slack gives and is tried again, `retries` times at most (with none, a 429 throws
 * at once, not waited out); anything else that fails (a timeout, a 5xx) throws at once, so the bus
 * retries the event and, in the end, dead-letters it with the reason. Answering an interaction within
 * Slack's 3 seconds takes fewer retries and a shorter timeout (decision's).
 */
export const slackClientOf = (
  { botToken, apiUrl }: SlackSettings,
  { retries, timeoutMs }: SlackCallOptions = EVENT_HANDLING,
): WebClient => {
  const key = `${apiUrl ?? ""} ${botToken} ${retries} ${timeoutMs}`;
  let client = clients.get(key);
  if (!client) {
    client = new WebClient(botToken, {
      ...(apiUrl && { slackApiUrl: apiUrl }),
      retryConfig: { ...RATE_LIMITS_ONLY, retries },
      rejectRateLimitedCalls: retries === 0,
      timeout: timeoutMs,
      logLevel: LogLevel.ERROR,
    });
    clients.set(key, client);
  }
  return client;
};
