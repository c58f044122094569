import { LogLevel, WebClient } from "@slack/web-api";
import type { SlackSettings } from "./chat-settings.ts";

/** Long enough for Slack's slowest methods, short enough that a Lambda still has time to fail cleanly. */
const TIMEOUT_MS = 10_000;

const clients = new Map<string, WebClient>();

/**
 * The Web API client for these settings, made once per process. A rate-limited call waits the
 * `Retry-After` Slack gives and is tried again, twice at most; anything else that fails throws, so
 * the bus retries the event and, in the end, dead-letters it with the reason.
 */
export const slackClientOf = ({ botToken, apiUrl }: SlackSettings): WebClient => {
  const key = `${apiUrl ?? ""} ${botToken}`;
  let client = clients.get(key);
  if (!client) {
    client = new WebClient(botToken, {
      ...(apiUrl && { slackApiUrl: apiUrl }),
      retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
      rejectRateLimitedCalls: false,
      timeout: TIMEOUT_MS,
      logLevel: LogLevel.ERROR,
    });
    clients.set(key, client);
  }
  return client;
};
