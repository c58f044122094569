import type { TeamsMessage } from "./cards.ts";

/** Teams refused the card, or could not be reached; the message says why, never the webhook's URL. */
export class TeamsWebhookError extends Error {
  override readonly name = "TeamsWebhookError";
}

/** Long enough for a workflow to accept a card, short enough that a Lambda still has time to fail cleanly. */
const TIMEOUT_MS = 10_000;

/** A rate limit worth waiting out within the invocation; a longer one is left to the bus's retries. */
const LONGEST_WAIT_MS = 5_000;

/** How much of a refusal's body the error keeps: enough for the dead letter to show why. */
const BODY_EXCERPT = 300;

export interface TeamsWebhookDeps {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
}

/** Retry-After in milliseconds: seconds, or an HTTP date; undefined when absent or unreadable. */
const retryAfterMs = (header: string | null, now: number): number | undefined => {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (header.trim() !== "" && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
};

const excerptOf = async (response: Response): Promise<string> => {
  const body = await response.text().catch(() => "");
  return body.length <= BODY_EXCERPT ? body : `${body.slice(0, BODY_EXCERPT)}…`;
};

/**
 * Posts cards to a Teams workflow's webhook, which answers 202 (any 2xx is taken as posted). A 429 is
 * waited out once when Teams asks for 5 seconds or less; any other answer, a second 429 or a failure to
 * reach Teams throws a TeamsWebhookError, so the bus retries the event and, in the end, dead-letters it
 * with the status and the start of Teams' answer. The URL carries the webhook's credentials: it is
 * never in an error or a log.
 */
export const createTeamsWebhook = ({ fetch, sleep }: TeamsWebhookDeps) => {
  const send = async (webhookUrl: string, message: TeamsMessage): Promise<Response> => {
    try {
      return await fetch(webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (cause) {
      throw new TeamsWebhookError(`Teams could not be reached: ${(cause as Error).message}`, { cause });
    }
  };

  return async (webhookUrl: string, message: TeamsMessage): Promise<{ status: number }> => {
    let response = await send(webhookUrl, message);
    if (response.status === 429) {
      const wait = retryAfterMs(response.headers.get("retry-after"), Date.now());
      if (wait !== undefined && wait <= LONGEST_WAIT_MS) {
        await response.body?.cancel();
        await sleep(wait);
        response = await send(webhookUrl, message);
      }
    }
    if (response.ok) {
      await response.body?.cancel();
      return { status: response.status };
    }
    throw new TeamsWebhookError(
      `Teams refused the card with HTTP ${response.status}: ${(await excerptOf(response)) || "(no body)"}`,
    );
  };
};

export type PostTeamsCard = ReturnType<typeof createTeamsWebhook>;
