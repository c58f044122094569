import { ApiError } from "../../api/client.ts";
import type { RequestWithTimeline } from "../../api/schemas.ts";
import { isFinalStatus } from "./format.ts";

/** How often the request page asks again while the request is not final or not found yet. */
export const REFRESH_MS = 2000;

/**
 * How long a request the page did not submit itself may stay unrecorded before the page says it does
 * not exist. The audit trail records a request within a second or two of its submission (by the form,
 * or by another system publishing straight onto the bus, whose id someone may open at once); an id
 * still unknown after this long was never submitted.
 */
export const UNKNOWN_AFTER_MS = 20_000;

/** What the request page does with one answer of `GET /api/requests/{id}`. */
export type LookupStep =
  | { show: "request"; view: RequestWithTimeline; askAgain: boolean }
  /** Not recorded yet; what the form just submitted, if anything, stays on screen meanwhile. */
  | { show: "waiting"; askAgain: true }
  | { show: "no-such-request"; askAgain: false }
  /** The API could not be asked (network, 5xx): the request may well exist, so ask again. */
  | { show: "unavailable"; message: string; askAgain: true };

export type LookupAnswer = { view: RequestWithTimeline } | { error: unknown };

export interface LookupContext {
  /** The form submitted this request on this page: intake accepted it, so it exists. */
  submitted: boolean;
  /** Since the page first asked for the request. */
  waitedMs: number;
}

export const nextLookupStep = (answer: LookupAnswer, { submitted, waitedMs }: LookupContext): LookupStep => {
  if ("view" in answer)
    return { show: "request", view: answer.view, askAgain: !isFinalStatus(answer.view.status) };
  const { error } = answer;
  if (!(error instanceof ApiError) || error.status >= 500)
    return {
      show: "unavailable",
      message: error instanceof Error ? error.message : String(error),
      askAgain: true,
    };
  // Any other refusal (a malformed id) means no request can ever have this id.
  if (error.status !== 404) return { show: "no-such-request", askAgain: false };
  if (submitted || waitedMs < UNKNOWN_AFTER_MS) return { show: "waiting", askAgain: true };
  return { show: "no-such-request", askAgain: false };
};
