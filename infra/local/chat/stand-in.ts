import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { mediaTypeOf } from "../../../services/shared/http.ts";
import {
  BodyTooLargeError,
  bodyTooLargeAnswer,
  ClientGoneError,
  readRequestOf,
  readWholeBody,
  requestUrlOf,
} from "../edge/delegation.ts";
import type { EdgeResponse, ReadRequest } from "../edge/types.ts";
import type { LocalUser } from "../identity/users.ts";
import {
  type AppAnswer,
  blockActionsPayload,
  sendInteraction,
  viewSubmissionPayload,
} from "./interactions.ts";
import { slackPage, teamsPage } from "./pages.ts";
import { answerSlackApi, jsonAnswer } from "./slack-api.ts";
import { ChatStore } from "./store.ts";
import { readTeamsMessage } from "./teams.ts";
import { TriggerIds } from "./triggers.ts";
import { APPROVALS_CHANNEL, Workspace } from "./workspace.ts";

/**
 * Slack and Teams as local mode stands them in, on the mailbox's port as the mailbox stands in for SES:
 * Slack's Web API at `/slack/api/<method>`, a Teams workflow webhook at `/teams/webhook`, everything
 * they were sent as JSON (`/slack/messages`, `/teams/messages`) and as pages (`/slack`, `/teams`) whose
 * buttons send the app signed interactions, and outages on demand for tests.
 */

export interface ChatStandInOptions {
  dataDir: string;
  users: readonly LocalUser[];
  /** The only token the Web API accepts. */
  botToken: string;
  /** What interactions are signed with: the app's signing secret. */
  signingSecret: string;
  /** The app's origin: interactions go to its `/slack/interactions`, as Slack's Request URL names it. */
  portalUrl: string;
  /** This server's own origin, for the response URLs interactions carry. */
  ownUrl: () => string;
  now?: () => Date;
}

const refusal = (status: number, message: string) => jsonAnswer(status, { message });
const page = (body: string): EdgeResponse => ({
  status: 200,
  headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  body,
});

/** An outage a test turned on: every call answers it until it is turned off. */
const outageSchema = z.strictObject({
  status: z.union([z.literal(500), z.literal(503), z.literal(429)], {
    error: "status must be 500, 503 or 429",
  }),
  retryAfter: z.number().int().min(0).optional(),
});
type Outage = z.output<typeof outageSchema>;

const outageAnswer = ({ status, retryAfter = 1 }: Outage, body: unknown): EdgeResponse =>
  jsonAnswer(status, body, status === 429 ? { "retry-after": String(retryAfter) } : {});

const actionSchema = z.strictObject({
  channel: z.string().min(1),
  ts: z.string().min(1),
  actionId: z.string().min(1),
  /** Who presses: in a direct message always its owner, in the channel the member chosen. */
  user: z.string().optional(),
});

const submissionSchema = z.strictObject({
  values: z.record(z.string(), z.record(z.string(), z.string())),
});

/** A body of the pages' JSON routes: declared JSON, which a form of another site cannot send. */
const pageBody = <S extends z.ZodType>(request: ReadRequest, schema: S): z.output<S> | EdgeResponse => {
  if (mediaTypeOf(request.headers["content-type"]) !== "application/json")
    return refusal(415, "The body must be application/json");
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString("utf8") || "{}");
  } catch {
    return refusal(400, "The body is not JSON");
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return refusal(400, `${issue?.path.join(".") || "body"}: ${issue?.message}`);
};
const isAnswer = (value: unknown): value is EdgeResponse =>
  typeof value === "object" && value !== null && "status" in value && "body" in value && "headers" in value;

export class ChatStandIn {
  private readonly store: ChatStore;
  private readonly workspace: Workspace;
  private readonly triggers = new TriggerIds();
  private readonly outages: { slack?: Outage; teams?: Outage } = {};
  private readonly now: () => Date;

  constructor(private readonly options: ChatStandInOptions) {
    this.now = options.now ?? (() => new Date());
    this.store = new ChatStore(options.dataDir, this.now);
    this.workspace = new Workspace(options.users);
  }

  /** Whether a path is the stand-ins' rather than the mailbox's. */
  static handles(path: string): boolean {
    return /^\/(slack|teams)(\/|$)/.test(path);
  }

  readonly listener = (request: IncomingMessage, response: ServerResponse): void => {
    readWholeBody(request)
      .then(async (body) => {
        const url = requestUrlOf(request.url);
        if (!url) return refusal(400, "The request target is not a valid path");
        return this.answer(readRequestOf(request, url, body));
      })
      .catch((error: unknown) => {
        if (error instanceof BodyTooLargeError) return bodyTooLargeAnswer(error);
        if (!(error instanceof ClientGoneError)) console.error("[local chat] request failed", error);
        return refusal(500, "The request could not be processed");
      })
      .then((answer) => {
        if (response.headersSent || response.destroyed) return;
        response.writeHead(answer.status, answer.headers).end(answer.body);
      });
  };

  clear(): void {
    this.store.clear();
  }

  close(): void {
    this.store.close();
  }

  private async answer(request: ReadRequest): Promise<EdgeResponse> {
    const method = request.method === "HEAD" ? "GET" : request.method;
    const apiMethod = /^\/slack\/api\/([^/]+)$/.exec(request.path)?.[1];
    if (apiMethod !== undefined && (method === "POST" || method === "GET")) {
      const outage = this.outages.slack;
      if (outage)
        return outageAnswer(outage, {
          ok: false,
          error: outage.status === 429 ? "ratelimited" : "service_unavailable",
        });
      return answerSlackApi(apiMethod, request, {
        store: this.store,
        workspace: this.workspace,
        botToken: this.options.botToken,
        triggers: this.triggers,
      });
    }
    const view = /^\/slack\/views\/([^/]+)\/(submit|close)$/.exec(request.path);
    if (view && method === "POST")
      return view[2] === "submit"
        ? this.submitView(view[1] as string, request)
        : this.closeView(view[1] as string);
    switch (`${method} ${request.path}`) {
      case "GET /slack":
        return page(slackPage(this.workspace, this.store.slack()));
      case "GET /slack/messages":
        return jsonAnswer(200, this.slackJson());
      case "POST /slack/actions":
        return this.press(request);
      case "GET /teams":
        return page(teamsPage(this.store.teams()));
      case "GET /teams/messages":
        return jsonAnswer(200, { messages: this.store.teams() });
      case "POST /teams/webhook":
        return this.acceptCard(request);
      case "POST /slack/outage":
      case "POST /teams/outage":
        return this.startOutage(request.path.startsWith("/slack") ? "slack" : "teams", request);
      case "DELETE /slack/outage":
      case "DELETE /teams/outage":
        delete this.outages[request.path.startsWith("/slack") ? "slack" : "teams"];
        return jsonAnswer(200, { message: "The outage is over" });
      default:
        return refusal(404, `The chat stand-in has nothing at ${method} ${request.path}`);
    }
  }

  /** Every message by conversation (`to`: the DM's member email, or `#approvals`), ephemerals and open views. */
  private slackJson() {
    const { messages, ephemerals, views } = this.store.slack();
    const emailOf = (id: string) => this.workspace.memberById(id)?.email ?? id;
    const to = (channel: string) => {
      const conversation = this.workspace.conversationById(channel);
      return conversation?.kind === "dm" ? conversation.member.email : `#${APPROVALS_CHANNEL.name}`;
    };
    return {
      messages: messages.map((message) => ({ to: to(message.channel), ...message })),
      ephemerals: ephemerals.map((ephemeral) => ({ to: emailOf(ephemeral.user), ...ephemeral })),
      views: views.map((opened) => ({ to: emailOf(opened.user), ...opened })),
    };
  }

  private startOutage(service: "slack" | "teams", request: ReadRequest): EdgeResponse {
    const outage = pageBody(request, outageSchema);
    if (isAnswer(outage)) return outage;
    this.outages[service] = outage;
    return jsonAnswer(200, {
      message: `Every ${service} call answers ${outage.status} until DELETE /${service}/outage`,
    });
  }

  private acceptCard(request: ReadRequest): EdgeResponse {
    const outage = this.outages.teams;
    if (outage)
      return outageAnswer(outage, {
        error: { code: "ServiceUnavailable", message: "The stand-in is in an outage" },
      });
    const read = readTeamsMessage(request.body.toString("utf8"));
    if ("problem" in read) return refusal(400, read.problem);
    this.store.addCard({ id: randomUUID(), at: this.now().toISOString(), body: read.message });
    return { status: 202, headers: {}, body: "" };
  }

  /** A button pressed on the page: Slack's block_actions, signed, to the app; its answer back to the page. */
  private async press(request: ReadRequest): Promise<EdgeResponse> {
    const action = pageBody(request, actionSchema);
    if (isAnswer(action)) return action;
    const conversation = this.workspace.conversationById(action.channel);
    const message = conversation && this.store.message(conversation.id, action.ts);
    if (!conversation || !message) return refusal(404, `No message ${action.ts} in ${action.channel}`);
    const member =
      conversation.kind === "dm"
        ? conversation.member
        : action.user === undefined
          ? undefined
          : this.workspace.memberById(action.user);
    if (!member) return refusal(400, "user must name a member of the workspace");
    const payload = blockActionsPayload({
      member,
      conversation,
      message,
      actionId: action.actionId,
      triggerId: this.triggers.issue({ user: member.id, channel: conversation.id }),
      responseUrl: `${this.options.ownUrl()}/slack/responses/${randomUUID()}`,
      now: this.now(),
    });
    if (!payload) return refusal(404, `The message has no button ${action.actionId}`);
    const delivered = await this.deliver(payload);
    return isAnswer(delivered) ? delivered : jsonAnswer(200, delivered);
  }

  private async submitView(id: string, request: ReadRequest): Promise<EdgeResponse> {
    const opened = this.store.view(id);
    if (!opened) return refusal(404, `No open view ${id}`);
    const submission = pageBody(request, submissionSchema);
    if (isAnswer(submission)) return submission;
    const member = this.workspace.memberById(opened.user);
    if (!member) return refusal(404, `The view's user ${opened.user} is no longer a member`);
    const payload = viewSubmissionPayload({
      member,
      view: opened,
      values: submission.values,
      triggerId: this.triggers.issue({ user: member.id, channel: opened.channel }),
    });
    const delivered = await this.deliver(payload);
    if (isAnswer(delivered)) return delivered;
    const errors = responseErrorsOf(delivered);
    // Slack closes the modal on any 200 but one that answers `response_action: "errors"`.
    if (delivered.status === 200 && !errors) this.store.closeView(id);
    return jsonAnswer(200, { ...delivered, ...(errors && { errors }) });
  }

  private closeView(id: string): EdgeResponse {
    if (!this.store.view(id)) return refusal(404, `No open view ${id}`);
    this.store.closeView(id);
    return jsonAnswer(200, { message: "Closed" });
  }

  /** The app's answer, or the page's 502 when the app could not be reached. */
  private async deliver(payload: unknown): Promise<AppAnswer | EdgeResponse> {
    const requestUrl = `${this.options.portalUrl}/slack/interactions`;
    try {
      return await sendInteraction(requestUrl, this.options.signingSecret, payload, this.now());
    } catch (error) {
      return refusal(502, `The app at ${requestUrl} did not answer: ${String(error)}`);
    }
  }
}

/** The field errors of an app's `response_action: "errors"` answer, if that is what it answered. */
const responseErrorsOf = ({ status, body }: AppAnswer): Record<string, string> | undefined => {
  if (status !== 200 || body === "") return undefined;
  try {
    const parsed = JSON.parse(body) as { response_action?: unknown; errors?: unknown };
    return parsed.response_action === "errors" ? (parsed.errors as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
};
