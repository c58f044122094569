import { isPlainObject } from "../../../events/request-id.ts";
import {
  SIGNATURE_HEADER,
  signSlackRequest,
  TIMESTAMP_HEADER,
} from "../../../services/shared/slack-signature.ts";
import type { SlackMessage, SlackView } from "./store.ts";
import { BOT, type Conversation, type SlackMember, TEAM } from "./workspace.ts";

/**
 * The interactions Slack sends an app's Request URL when someone presses a button or submits a modal
 * (https://api.slack.com/reference/interaction-payloads), built from what the stand-in's page says was
 * pressed, and signed with the app's signing secret exactly as Slack signs them.
 */

const payloadUser = (member: SlackMember) => ({
  id: member.id,
  username: member.email.split("@")[0],
  name: member.email.split("@")[0],
  team_id: TEAM.id,
});

/** A button of the message's blocks, with the block that holds it; an actions block or a section's accessory. */
export const buttonOf = (
  blocks: readonly unknown[],
  actionId: string,
): { blockId: string; button: Record<string, unknown> } | undefined => {
  for (const block of blocks) {
    if (!isPlainObject(block)) continue;
    const elements = [...(Array.isArray(block.elements) ? block.elements : []), block.accessory];
    const button = elements.find(
      (element): element is Record<string, unknown> =>
        isPlainObject(element) && element.type === "button" && element.action_id === actionId,
    );
    if (button) return { blockId: typeof block.block_id === "string" ? block.block_id : "", button };
  }
  return undefined;
};

export const blockActionsPayload = ({
  member,
  conversation,
  message,
  actionId,
  triggerId,
  responseUrl,
  now,
}: {
  member: SlackMember;
  conversation: Conversation;
  message: SlackMessage;
  actionId: string;
  triggerId: string;
  responseUrl: string;
  now: Date;
}) => {
  const found = buttonOf(message.blocks ?? [], actionId);
  if (!found) return undefined;
  const { blockId, button } = found;
  return {
    type: "block_actions",
    user: payloadUser(member),
    api_app_id: BOT.appId,
    // The deprecated verification token: apps check the signature instead.
    token: "local-verification-token",
    container: {
      type: "message",
      message_ts: message.ts,
      channel_id: conversation.id,
      is_ephemeral: false,
    },
    trigger_id: triggerId,
    team: TEAM,
    enterprise: null,
    is_enterprise_install: false,
    channel: {
      id: conversation.id,
      name: conversation.kind === "channel" ? conversation.name : "directmessage",
    },
    message: {
      type: "message",
      user: BOT.userId,
      bot_id: BOT.botId,
      ts: message.ts,
      text: message.text ?? "",
      blocks: message.blocks ?? [],
    },
    state: { values: {} },
    response_url: responseUrl,
    actions: [
      {
        type: "button",
        action_id: actionId,
        block_id: blockId,
        text: button.text,
        ...(button.value !== undefined && { value: button.value }),
        ...(button.style !== undefined && { style: button.style }),
        action_ts: `${(now.getTime() / 1000).toFixed(6)}`,
      },
    ],
  };
};

/** `values` as the page sends them, `{block_id: {action_id: text}}`, as Slack's view state. */
export const viewSubmissionPayload = ({
  member,
  view,
  values,
  triggerId,
}: {
  member: SlackMember;
  view: SlackView;
  values: Record<string, Record<string, string>>;
  triggerId: string;
}) => ({
  type: "view_submission",
  team: TEAM,
  user: payloadUser(member),
  api_app_id: BOT.appId,
  token: "local-verification-token",
  trigger_id: triggerId,
  view: {
    ...view.view,
    type: "modal",
    state: {
      values: Object.fromEntries(
        Object.entries(values).map(([blockId, actions]) => [
          blockId,
          Object.fromEntries(
            Object.entries(actions).map(([actionId, value]) => [
              actionId,
              { type: "plain_text_input", value },
            ]),
          ),
        ]),
      ),
    },
  },
  response_urls: [],
  is_enterprise_install: false,
  enterprise: null,
});

/** What the app answered, as the page shows it. */
export interface AppAnswer {
  status: number;
  body: string;
}

/**
 * POSTs the payload to the app's Request URL as Slack does: a form with one field, `payload`, the JSON
 * text; `x-slack-request-timestamp` and `x-slack-signature` over the exact body sent.
 */
export const sendInteraction = async (
  requestUrl: string,
  signingSecret: string,
  payload: unknown,
  now: Date,
): Promise<AppAnswer> => {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const response = await fetch(requestUrl, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      [TIMESTAMP_HEADER]: timestamp,
      [SIGNATURE_HEADER]: signSlackRequest(signingSecret, timestamp, body),
      "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.text() };
};
