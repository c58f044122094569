import { randomBytes } from "node:crypto";
import { isPlainObject } from "../../../events/request-id.ts";
import { mediaTypeOf } from "../../../services/shared/http.ts";
import type { EdgeResponse, ReadRequest } from "../edge/types.ts";
import type { ChatStore, SlackContent } from "./store.ts";
import type { TriggerIds } from "./triggers.ts";
import { BOT, type Conversation, slackUserObject, TEAM, type Workspace } from "./workspace.ts";

/**
 * The Slack Web API methods the services call, answered as Slack answers them: HTTP 200 with
 * `{ok: true, ...}`, or `{ok: false, error: "<code>"}` (https://api.slack.com/web#responses). Arguments
 * arrive as @slack/web-api sends them (a form whose nested values, `blocks` and `view`, are JSON text;
 * the token as `Authorization: Bearer`), or as a JSON body.
 */

type Args = Record<string, unknown>;

class SlackApiError extends Error {
  override readonly name = "SlackApiError";
  constructor(
    readonly code: string,
    /** `response_metadata.messages`, as Slack explains invalid arguments. */
    readonly messages: string[] = [],
  ) {
    super(code);
  }
}

/** A JSON answer, as the stand-ins give every one but their pages. */
export const jsonAnswer = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): EdgeResponse => ({
  status,
  headers: { "content-type": "application/json; charset=utf-8", ...headers },
  body: JSON.stringify(body),
});

const failure = (error: SlackApiError) =>
  jsonAnswer(200, {
    ok: false,
    error: error.code,
    ...(error.messages.length > 0 && { response_metadata: { messages: error.messages } }),
  });

const argsOf = (request: ReadRequest): Args => {
  const args: Args = Object.fromEntries(request.query);
  const text = request.body.toString("utf8");
  if (mediaTypeOf(request.headers["content-type"]) === "application/json") {
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new SlackApiError("invalid_json");
    }
    if (!isPlainObject(json)) throw new SlackApiError("json_not_object");
    return { ...args, ...json };
  }
  return { ...args, ...Object.fromEntries(new URLSearchParams(text)) };
};

const tokenOf = (request: ReadRequest, args: Args): string | undefined => {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
  return bearer ?? (typeof args.token === "string" ? args.token : undefined);
};

const text = (args: Args, name: string): string => {
  const value = args[name];
  if (value === undefined || value === "")
    throw new SlackApiError("invalid_arguments", [`[ERROR] missing required field: ${name}`]);
  if (typeof value !== "string")
    throw new SlackApiError("invalid_arguments", [`[ERROR] ${name} must be a string`]);
  return value;
};

const optionalText = (args: Args, name: string): string | undefined =>
  args[name] === undefined ? undefined : text(args, name);

/** A JSON argument: the SDK sends it as JSON text in a form, a JSON body holds it as is. */
const jsonArg = (args: Args, name: string, invalid: string): unknown => {
  const value = args[name];
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new SlackApiError(invalid, [`[ERROR] ${name} is not valid JSON`]);
  }
};

const blocksOf = (args: Args, name = "blocks"): unknown[] | undefined => {
  if (args[name] === undefined) return undefined;
  const blocks = jsonArg(args, name, "invalid_blocks");
  if (!Array.isArray(blocks)) throw new SlackApiError("invalid_blocks", [`[ERROR] ${name} must be an array`]);
  const untyped = blocks.findIndex((block) => !isPlainObject(block) || typeof block.type !== "string");
  if (untyped >= 0)
    throw new SlackApiError("invalid_blocks", [`[ERROR] ${name}[${untyped}] must be an object with a type`]);
  return blocks;
};

const contentOf = (args: Args): SlackContent => {
  const content = { text: optionalText(args, "text"), blocks: blocksOf(args) };
  if (content.text === undefined && content.blocks === undefined) throw new SlackApiError("no_text");
  return content;
};

/** The bot's message as Slack returns it in chat.postMessage and chat.update. */
const messageObject = (ts: string, content: SlackContent) => ({
  type: "message",
  user: BOT.userId,
  bot_id: BOT.botId,
  app_id: BOT.appId,
  team: TEAM.id,
  ts,
  text: content.text ?? "",
  ...(content.blocks && { blocks: content.blocks }),
});

export interface SlackApiParts {
  store: ChatStore;
  workspace: Workspace;
  botToken: string;
  triggers: TriggerIds;
}

type Method = (args: Args, parts: SlackApiParts) => Record<string, unknown>;

const postingConversation = (workspace: Workspace, args: Args): Conversation => {
  const conversation = workspace.conversationOf(text(args, "channel"));
  if (!conversation) throw new SlackApiError("channel_not_found");
  return conversation;
};

const METHODS: Record<string, Method> = {
  // Who the token is: decision takes `team_id` as the workspace whose members may decide.
  "auth.test": () => ({
    url: `https://${TEAM.domain}.slack.com/`,
    team: TEAM.name,
    user: BOT.name,
    team_id: TEAM.id,
    user_id: BOT.userId,
    bot_id: BOT.botId,
    is_enterprise_install: false,
  }),
  "chat.postMessage": (args, { store, workspace }) => {
    const conversation = postingConversation(workspace, args);
    const message = store.post(conversation.id, contentOf(args));
    return { channel: message.channel, ts: message.ts, message: messageObject(message.ts, message) };
  },
  "chat.update": (args, { store, workspace }) => {
    // Unlike posting, updating names the conversation by its id alone, as Slack requires.
    const conversation = workspace.conversationById(text(args, "channel"));
    if (!conversation) throw new SlackApiError("channel_not_found");
    const ts = text(args, "ts");
    const message = store.message(conversation.id, ts);
    if (!message) {
      const ephemeral = store
        .slack()
        .ephemerals.some((shown) => shown.channel === conversation.id && shown.ts === ts);
      throw new SlackApiError(ephemeral ? "cant_update_message" : "message_not_found");
    }
    const given = contentOf(args);
    // Slack keeps what an update leaves out: its text, or its blocks unless given (`[]` removes them).
    const updated = store.update(conversation.id, ts, {
      text: given.text ?? message.text,
      blocks: given.blocks ?? message.blocks,
    });
    return { channel: updated.channel, ts, text: updated.text ?? "", message: messageObject(ts, updated) };
  },
  "chat.postEphemeral": (args, { store, workspace }) => {
    const conversation = postingConversation(workspace, args);
    const member = workspace.memberById(text(args, "user"));
    if (!member) throw new SlackApiError("user_not_found");
    if (conversation.kind === "dm" && conversation.member.id !== member.id)
      throw new SlackApiError("user_not_in_channel");
    const ephemeral = store.postEphemeral(conversation.id, member.id, contentOf(args));
    return { message_ts: ephemeral.ts };
  },
  "users.lookupByEmail": (args, { workspace }) => {
    const member = workspace.memberByEmail(text(args, "email"));
    if (!member) throw new SlackApiError("users_not_found");
    return { user: slackUserObject(member) };
  },
  "users.info": (args, { workspace }) => {
    const member = workspace.memberById(text(args, "user"));
    if (!member) throw new SlackApiError("user_not_found");
    return { user: slackUserObject(member) };
  },
  "views.open": (args, { store, triggers }) => {
    const triggerId = text(args, "trigger_id");
    const view = jsonArg(args, "view", "invalid_arguments");
    if (!isPlainObject(view) || view.type !== "modal" || !isPlainObject(view.title))
      throw new SlackApiError("invalid_arguments", ["[ERROR] view must be a modal with a title"]);
    const blocks = blocksOf(view, "blocks") ?? [];
    const trigger = triggers.redeem(triggerId);
    if (!trigger) throw new SlackApiError("invalid_trigger_id");
    const id = `V${randomBytes(5).toString("hex").toUpperCase()}`;
    const opened = {
      ...view,
      id,
      team_id: TEAM.id,
      app_id: BOT.appId,
      bot_id: BOT.botId,
      blocks,
      private_metadata: typeof view.private_metadata === "string" ? view.private_metadata : "",
      callback_id: typeof view.callback_id === "string" ? view.callback_id : "",
      state: { values: {} },
      hash: randomBytes(8).toString("hex"),
    };
    store.openView({ id, user: trigger.user, channel: trigger.channel, view: opened, openedAt: store.at() });
    return { view: opened };
  },
};

/** Answers `POST /slack/api/<method>`. */
export const answerSlackApi = (method: string, request: ReadRequest, parts: SlackApiParts): EdgeResponse => {
  const call = METHODS[method];
  // Slack answers a method it does not have with 404, unlike its other errors.
  if (!call) return jsonAnswer(404, { ok: false, error: "unknown_method", req_method: method });
  try {
    const args = argsOf(request);
    const token = tokenOf(request, args);
    if (token === undefined) throw new SlackApiError("not_authed");
    if (token !== parts.botToken) throw new SlackApiError("invalid_auth");
    return jsonAnswer(200, { ok: true, ...call(args, parts) });
  } catch (error) {
    if (error instanceof SlackApiError) return failure(error);
    throw error;
  }
};
