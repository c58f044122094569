import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type AppAnswer, blockActionsPayload, sendInteraction } from "../../infra/local/chat/interactions.ts";
import { APPROVALS_CHANNEL, memberOf } from "../../infra/local/chat/workspace.ts";
import { existingServicesPrincipal } from "../../infra/local/edge/principals.ts";
import { type RequestToSign, signedFetch } from "../../infra/local/edge/signature.ts";
import {
  DEAD_LETTERS_PATH,
  DEAD_LETTERS_SCOPE,
  REDRIVE_PATH,
} from "../../infra/local/eventbridge/dead-letters.ts";
import { type JournalRecord, journalDirectory } from "../../infra/local/eventbridge/journal.ts";
import type { DeadLetter } from "../../infra/local/eventbridge/types.ts";
import { REJECT_MODAL, SLACK_ACTION_IDS } from "../../services/shared/slack-approval-actions.ts";
import type { StackUnderTest } from "./stack.ts";

/**
 * The local stand-ins for Slack and Teams (infra/local/chat) as a test reads and drives them: what they
 * were sent, the buttons pressed and modals submitted as a person would on their pages, outages, and
 * interactions signed by hand for the tests of the signature itself; and the bus's dead letters and
 * deliveries, where chat's failures and redeliveries show.
 */

/** The channel's conversation, as `/slack/messages` names it in `to`. */
export const APPROVALS = `#${APPROVALS_CHANNEL.name}`;

export interface SlackMessageSeen {
  /** The direct message's member email, or `#approvals`. */
  to: string;
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  postedAt: string;
  updatedAt?: string;
}

export interface SlackEphemeralSeen {
  /** The email of the member it was shown to. */
  to: string;
  channel: string;
  text?: string;
  blocks?: unknown[];
}

export interface SlackViewSeen {
  to: string;
  id: string;
  channel: string;
  view: { private_metadata?: string; title?: { text?: string } };
}

export interface SlackSeen {
  messages: SlackMessageSeen[];
  ephemerals: SlackEphemeralSeen[];
  views: SlackViewSeen[];
}

export interface TeamsCardSeen {
  id: string;
  at: string;
  body: {
    attachments: {
      content: { body: unknown[]; actions?: { type: string; title?: string; url?: string }[] };
    }[];
  };
}

const getJson = async <T>(url: string): Promise<T> => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
};

export const slackSeen = (stack: StackUnderTest) => getJson<SlackSeen>(`${stack.mailboxUrl}/slack/messages`);

export const teamsCards = async (stack: StackUnderTest) =>
  (await getJson<{ messages: TeamsCardSeen[] }>(`${stack.mailboxUrl}/teams/messages`)).messages;

/** Every string a message or card shows (its text and every text of its blocks), joined by lines. */
export const wordsOf = (item: unknown): string => {
  const words: string[] = [];
  const walk = (value: unknown, key?: string) => {
    if (typeof value === "string") {
      if (key === "text" || key === "value" || key === "title") words.push(value);
    } else if (Array.isArray(value)) for (const element of value) walk(element);
    else if (value !== null && typeof value === "object")
      for (const [name, element] of Object.entries(value)) walk(element, name);
  };
  walk(item);
  return words.join("\n");
};

/** The action ids of a message's buttons: none once it stopped asking. */
export const buttonsOf = (message: SlackMessageSeen): string[] =>
  (message.blocks ?? []).flatMap((block) => {
    const elements = (block as { elements?: { type?: string; action_id?: string }[] }).elements ?? [];
    return elements
      .filter((element) => element.type === "button")
      .map((element) => String(element.action_id));
  });

/** The Slack messages (direct messages and the channel's) about a request, as they read now. */
export const slackMessagesAbout = async (stack: StackUnderTest, requestId: string) =>
  (await slackSeen(stack)).messages.filter((message) => wordsOf(message).includes(requestId));

/** The ephemeral answers shown to `email`, in whichever conversation. */
export const ephemeralsTo = async (stack: StackUnderTest, email: string) =>
  (await slackSeen(stack)).ephemerals.filter((ephemeral) => ephemeral.to === email.toLowerCase());

/** The Teams cards about a request. */
export const teamsCardsAbout = async (stack: StackUnderTest, requestId: string) =>
  (await teamsCards(stack)).filter((card) => wordsOf(card.body).includes(requestId));

/** Waits until the request's Slack messages satisfy `accept`, and answers them. */
export const waitForSlackMessages = (
  stack: StackUnderTest,
  requestId: string,
  accept: (messages: SlackMessageSeen[]) => boolean,
  timeoutMs?: number,
) => stack.eventually(() => slackMessagesAbout(stack, requestId), accept, timeoutMs);

/** The one message about the request in `to`'s conversation (an email, or APPROVALS). */
export const messageTo = (messages: readonly SlackMessageSeen[], to: string): SlackMessageSeen => {
  const found = messages.filter((message) => message.to === to);
  if (found.length !== 1) throw new Error(`${found.length} messages to ${to}: ${JSON.stringify(messages)}`);
  return found[0] as SlackMessageSeen;
};

/** The Slack member id of a local user, as the stand-in's workspace gives it. */
export const slackIdOf = (email: string) => memberOf({ email, name: email, groups: [] }).id;

export interface PageAnswer {
  status: number;
  body: { status?: number; body?: string; message?: string; errors?: Record<string, string> };
}

const postJson = async (url: string, body: unknown): Promise<PageAnswer> => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as PageAnswer["body"] };
};

/**
 * Presses Approve or Reject on a message as the stand-in's page does: in a direct message as its
 * member, in the channel as `as`. The stand-in signs the interaction and answers what the app answered.
 */
export const press = (
  stack: StackUnderTest,
  message: SlackMessageSeen,
  action: keyof typeof SLACK_ACTION_IDS,
  as?: string,
) =>
  postJson(`${stack.mailboxUrl}/slack/actions`, {
    channel: message.channel,
    ts: message.ts,
    actionId: SLACK_ACTION_IDS[action],
    ...(as !== undefined && { user: slackIdOf(as) }),
  });

/** The view (the Reject modal) open for `email`, once one is. */
export const waitForView = (stack: StackUnderTest, email: string) =>
  stack
    .eventually(
      async () => (await slackSeen(stack)).views.filter((view) => view.to === email.toLowerCase()),
      (views) => views.length > 0,
    )
    .then((views) => views.at(-1) as SlackViewSeen);

/** Submits the Reject modal with `reason` as its reason, as the page's form does. */
export const submitRejectReason = (stack: StackUnderTest, view: SlackViewSeen, reason: string) =>
  postJson(`${stack.mailboxUrl}/slack/views/${encodeURIComponent(view.id)}/submit`, {
    values: { [REJECT_MODAL.reasonBlockId]: { [REJECT_MODAL.reasonActionId]: reason } },
  });

/** Every Slack Web API call answers `status` until `slackOutage(stack, undefined)` ends it. */
export const slackOutage = async (stack: StackUnderTest, status: 500 | 503 | 429 | undefined) => {
  const response = await fetch(`${stack.mailboxUrl}/slack/outage`, {
    method: status === undefined ? "DELETE" : "POST",
    headers: { "content-type": "application/json" },
    ...(status !== undefined && { body: JSON.stringify({ status }) }),
  });
  if (!response.ok) throw new Error(`outage ${status}: ${response.status} ${await response.text()}`);
};

/** The stand-in Slack app's signing secret, made once per data directory (infra/local/chat/credentials.ts). */
export const signingSecretOf = (stack: StackUnderTest) =>
  readFileSync(join(stack.dataDir, "slack-signing-secret"), "utf8").trim();

/**
 * Slack's block_actions for pressing `action` on `message` as `email`, as Slack would send it to the
 * app (a made-up trigger id and response URL: what a refusal or Approve needs of them is nothing).
 */
export const buttonPayload = (
  message: SlackMessageSeen,
  action: keyof typeof SLACK_ACTION_IDS,
  email: string,
) => {
  const member = memberOf({ email, name: email, groups: [] });
  const conversation =
    message.to === APPROVALS
      ? { kind: "channel" as const, ...APPROVALS_CHANNEL }
      : { kind: "dm" as const, id: message.channel, member };
  const payload = blockActionsPayload({
    member,
    conversation,
    message: { ...message, history: [] },
    actionId: SLACK_ACTION_IDS[action],
    triggerId: `${Date.now()}.test`,
    responseUrl: "http://127.0.0.1:9/slack/responses/test",
    now: new Date(),
  });
  if (!payload) throw new Error(`No ${action} button on ${JSON.stringify(message)}`);
  return payload;
};

/**
 * POSTs `payload` to the portal's `/slack/interactions` as Slack does, signed with `signingSecret`
 * (the app's unless a test forges one) at `signedAt` (now unless a test makes it stale).
 */
export const sendSignedInteraction = (
  stack: StackUnderTest,
  payload: unknown,
  {
    signingSecret = signingSecretOf(stack),
    signedAt = new Date(),
  }: { signingSecret?: string; signedAt?: Date } = {},
): Promise<AppAnswer> =>
  sendInteraction(`${stack.portalUrl}/slack/interactions`, signingSecret, payload, signedAt);

/** An operator's call on the bus's dead letters, as `npm run dlq` makes it: signed with the stack's credentials. */
const dlqCall = async (stack: StackUnderTest, path: string, init: Omit<RequestToSign, "url">) => {
  const response = await signedFetch(
    await existingServicesPrincipal(stack.dataDir),
    new URL(path, stack.edgeUrl),
    init,
    DEAD_LETTERS_SCOPE,
  );
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
};

/** The bus's dead letters (`npm run dlq -- list`). */
export const deadLetters = async (stack: StackUnderTest): Promise<DeadLetter[]> =>
  ((await dlqCall(stack, DEAD_LETTERS_PATH, { method: "GET" })) as { deadLetters: DeadLetter[] }).deadLetters;

/** Delivers these dead letters again, with fresh attempts (`npm run dlq -- redrive ID...`). */
export const redrive = (stack: StackUnderTest, ids: readonly string[]) =>
  dlqCall(stack, REDRIVE_PATH, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ids }),
  });

/**
 * Whether the bus has delivered each of `eventIds` to every rule it matched, each handler having
 * succeeded, read from its journal: how a test knows a redelivery that changes nothing was handled.
 */
export const deliveredToEveryRule = (stack: StackUnderTest, eventIds: readonly string[]): boolean => {
  const records = readFileSync(join(journalDirectory(stack.dataDir), "journal.ndjson"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as JournalRecord);
  const delivered = new Set(
    records.flatMap((record) =>
      record.type === "delivered" ? [`${record.eventId} ${record.ruleName}`] : [],
    ),
  );
  return eventIds.every((eventId) => {
    const accepted = records.find((record) => record.type === "accepted" && record.event.id === eventId);
    return (
      accepted?.type === "accepted" &&
      accepted.ruleNames.every((ruleName) => delivered.has(`${eventId} ${ruleName}`))
    );
  });
};
