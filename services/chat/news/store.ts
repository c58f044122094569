import type { Idempotency } from "../../shared/idempotency.ts";
import { chatIdempotency } from "../idempotency.ts";
/**
 * What came of a direct message: where it went (its channel and ts), that its reader has no Slack
 * account, or Slack's code for refusing it for good (a deactivated user).
 */
export type DirectMessageOutcome =
  | { channel: string; ts: string }
  | { notOnSlack: true }
  | { undeliverable: string };

/** Teams' answer to a card: its HTTP status (a workflow answers 202, a connector 200). */
export interface PostedCard {
  status: number;
}

/**
 * The news' effects of each event, each run once however often the event is delivered: the
 * requester's direct message and the Teams card (keyed by the event's id), and each operator's direct
 * message of a failed release (by the event's id and their address). Each is claimed before posting and
 * recorded after, so a crash (or a timeout) after Slack or Teams took the message and before its record
 * posts it again on the retry: a rare duplicate, chosen over losing the message to the same crash (as
 * the notifier chose for its emails, services/notifier/store.ts).
 */
export const createNewsStore = (idempotency: Idempotency) => ({
  requesterMessageOnce: (eventId: string, post: () => Promise<DirectMessageOutcome>) =>
    idempotency.runOnce({ name: "slack-requester-news", key: eventId }, post),

  operatorMessageOnce: (eventId: string, operator: string, post: () => Promise<DirectMessageOutcome>) =>
    idempotency.runOnce({ name: "slack-operator-news", key: `${eventId}/${operator}` }, post),

  teamsCardOnce: (eventId: string, post: () => Promise<PostedCard>) =>
    idempotency.runOnce({ name: "teams-card", key: eventId }, post),
});

export type NewsStore = ReturnType<typeof createNewsStore>;

export const newsStore = createNewsStore(chatIdempotency);
