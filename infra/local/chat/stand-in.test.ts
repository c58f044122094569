import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { slackClientOf } from "../../../services/shared/slack-client.ts";
import { verifySlackRequest } from "../../../services/shared/slack-signature.ts";
import { DEFAULT_LOCAL_USERS } from "../identity/users.ts";
import { type Mailbox, startMailbox } from "../mailbox.ts";
import { memberOf } from "./workspace.ts";

const BOT_TOKEN = "xoxb-local-test";
const SIGNING_SECRET = "the-signing-secret";
const memberWith = (email: string) => {
  const user = DEFAULT_LOCAL_USERS.find((candidate) => candidate.email === email);
  if (!user) throw new Error(`${email} is not a default local user`);
  return memberOf(user);
};
const approver = memberWith("approver@example.com");
const approver2 = memberWith("approver2@example.com");

const APPROVAL_BLOCKS = [
  { type: "section", text: { type: "mrkdwn", text: "*EC2* t3.micro" } },
  {
    type: "actions",
    block_id: "decide",
    elements: [
      {
        type: "button",
        action_id: "approval.approve",
        value: '{"requestId":"r-1","stage":0}',
        style: "primary",
        text: { type: "plain_text", text: "Approve" },
      },
      {
        type: "button",
        action_id: "approval.reject",
        value: '{"requestId":"r-1","stage":0}',
        style: "danger",
        text: { type: "plain_text", text: "Reject" },
      },
    ],
  },
];

const TEAMS_CARD = {
  type: "message",
  attachments: [
    {
      contentType: "application/vnd.microsoft.card.adaptive",
      content: {
        type: "AdaptiveCard",
        version: "1.4",
        body: [{ type: "TextBlock", text: "Approval needed" }],
        actions: [{ type: "Action.OpenUrl", title: "Open", url: "http://localhost:3000/requests/r-1" }],
      },
    },
  ],
};

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** The app behind PUBLIC_URL: records each interaction and answers it as the test says. */
const startApp = async () => {
  const received: Received[] = [];
  let respond: (
    interaction: Received,
  ) => Promise<{ status: number; body: string }> | { status: number; body: string } = () => ({
    status: 200,
    body: "",
  });
  const server: Server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8").on("data", (chunk: string) => {
      body += chunk;
    });
    request.on("end", async () => {
      const interaction = { headers: request.headers, body };
      received.push(interaction);
      const answer = await respond(interaction);
      response.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
    });
  }).listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    answerWith: (responder: typeof respond) => {
      respond = responder;
    },
    close: () => new Promise((done) => server.close(done)),
  };
};

const payloadOf = (interaction: Received) =>
  JSON.parse(new URLSearchParams(interaction.body).get("payload") ?? "null") as Record<string, unknown> & {
    trigger_id: string;
  };

describe("the Slack and Teams stand-ins on the mailbox port", () => {
  let dataDir: string;
  let mailbox: Mailbox;
  let app: Awaited<ReturnType<typeof startApp>>;
  let base: string;
  let slack: ReturnType<typeof slackClientOf>;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "chat-stand-in-"));
    app = await startApp();
    mailbox = await startMailbox({
      host: "127.0.0.1",
      port: 0,
      dataDir,
      chat: {
        users: DEFAULT_LOCAL_USERS,
        botToken: BOT_TOKEN,
        signingSecret: SIGNING_SECRET,
        portalUrl: app.url,
      },
    });
    base = `http://127.0.0.1:${mailbox.port}`;
    slack = slackClientOf({
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      apiUrl: `${base}/slack/api/`,
    });
  });
  afterAll(async () => {
    await mailbox.close();
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    app.received.length = 0;
    app.answerWith(() => ({ status: 200, body: "" }));
    await fetch(`${base}/clear-store`, { method: "POST" });
  });

  const postJson = async (path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const slackState = async () =>
    (await (await fetch(`${base}/slack/messages`)).json()) as {
      messages: unknown[];
      views: { id: string; to: string; view: { callback_id: string; private_metadata: string } }[];
    };

  describe("pressing a button", () => {
    it("sends the app Slack's block_actions payload, signed with the signing secret, and shows its answer", async () => {
      const posted = await slack.chat.postMessage({
        channel: approver.id,
        text: "Approve?",
        blocks: APPROVAL_BLOCKS,
      });
      app.answerWith(() => ({ status: 200, body: "" }));

      const pressed = await postJson("/slack/actions", {
        channel: posted.channel,
        ts: posted.ts,
        actionId: "approval.approve",
      });

      expect(pressed).toEqual({ status: 200, body: { status: 200, body: "" } });
      const [interaction] = app.received;
      if (!interaction) throw new Error("the app received nothing");
      expect(interaction.headers["content-type"]).toBe("application/x-www-form-urlencoded");
      expect(
        verifySlackRequest({
          signingSecret: SIGNING_SECRET,
          timestamp: interaction.headers["x-slack-request-timestamp"] as string,
          signature: interaction.headers["x-slack-signature"] as string,
          rawBody: interaction.body,
          now: new Date(),
        }),
      ).toEqual({ valid: true });
      expect(payloadOf(interaction)).toMatchObject({
        type: "block_actions",
        user: { id: approver.id, username: "approver", name: "approver", team_id: "T0LOCAL" },
        api_app_id: expect.any(String),
        token: expect.any(String),
        container: {
          type: "message",
          message_ts: posted.ts,
          channel_id: approver.dmChannel,
          is_ephemeral: false,
        },
        trigger_id: expect.any(String),
        team: { id: "T0LOCAL", domain: expect.any(String) },
        channel: { id: approver.dmChannel, name: "directmessage" },
        message: { ts: posted.ts, text: "Approve?", blocks: APPROVAL_BLOCKS },
        response_url: expect.stringMatching(/^http:\/\/localhost:\d+\/slack\//),
        actions: [
          {
            type: "button",
            action_id: "approval.approve",
            block_id: "decide",
            value: '{"requestId":"r-1","stage":0}',
            text: { type: "plain_text", text: "Approve" },
            action_ts: expect.stringMatching(/^\d+\.\d{6}$/),
          },
        ],
      });
    });

    it("presses in the channel as the member chosen, and refuses a press there with no member", async () => {
      const posted = await slack.chat.postMessage({
        channel: "#approvals",
        text: "Approve?",
        blocks: APPROVAL_BLOCKS,
      });

      const anonymous = await postJson("/slack/actions", {
        channel: posted.channel,
        ts: posted.ts,
        actionId: "approval.approve",
      });
      await postJson("/slack/actions", {
        channel: posted.channel,
        ts: posted.ts,
        actionId: "approval.reject",
        user: approver2.id,
      });

      expect(anonymous.status).toBe(400);
      expect(app.received.map(payloadOf)).toMatchObject([
        {
          user: { id: approver2.id },
          channel: { id: "C0APPROVALS", name: "approvals" },
          actions: [{ action_id: "approval.reject" }],
        },
      ]);
    });

    it("refuses a button the message does not have", async () => {
      const posted = await slack.chat.postMessage({ channel: approver.id, text: "No buttons" });

      const pressed = await postJson("/slack/actions", {
        channel: posted.channel,
        ts: posted.ts,
        actionId: "approval.approve",
      });

      expect(pressed.status).toBe(404);
      expect(app.received).toEqual([]);
    });
  });

  describe("a modal", () => {
    const REJECT_VIEW = {
      type: "modal",
      callback_id: "approval.reject-reason",
      private_metadata: '{"requestId":"r-1","stage":0}',
      title: { type: "plain_text", text: "Reject request" },
      submit: { type: "plain_text", text: "Reject" },
      blocks: [
        {
          type: "input",
          block_id: "reason",
          label: { type: "plain_text", text: "Why?" },
          element: { type: "plain_text_input", action_id: "reason", multiline: true },
        },
      ],
    };

    /** Presses Reject; the app opens the modal with the interaction's trigger id, as decision does. */
    const openRejectModal = async () => {
      const posted = await slack.chat.postMessage({
        channel: approver.id,
        text: "Approve?",
        blocks: APPROVAL_BLOCKS,
      });
      let triggerId = "";
      app.answerWith(async (interaction) => {
        triggerId = payloadOf(interaction).trigger_id;
        await slack.views.open({ trigger_id: triggerId, view: REJECT_VIEW as never });
        return { status: 200, body: "" };
      });
      await postJson("/slack/actions", {
        channel: posted.channel,
        ts: posted.ts,
        actionId: "approval.reject",
      });
      const [view] = (await slackState()).views;
      if (!view) throw new Error("no view opened");
      return { view, triggerId };
    };

    it("opens once per trigger id, for the member who pressed", async () => {
      const { view, triggerId } = await openRejectModal();

      expect(view).toMatchObject({
        to: "approver@example.com",
        view: { callback_id: "approval.reject-reason", private_metadata: '{"requestId":"r-1","stage":0}' },
      });
      await expect(
        slack.views.open({ trigger_id: triggerId, view: REJECT_VIEW as never }),
      ).rejects.toMatchObject({
        data: { error: "invalid_trigger_id" },
      });
    });

    it("stays open with the app's field errors, and closes once the app accepts the submission", async () => {
      const { view } = await openRejectModal();
      app.answerWith(() => ({
        status: 200,
        body: JSON.stringify({ response_action: "errors", errors: { reason: "Say why you reject it" } }),
      }));

      const refused = await postJson(`/slack/views/${view.id}/submit`, {
        values: { reason: { reason: "" } },
      });
      app.answerWith(() => ({ status: 200, body: "" }));
      const accepted = await postJson(`/slack/views/${view.id}/submit`, {
        values: { reason: { reason: "Too big" } },
      });

      expect(refused.body.errors).toEqual({ reason: "Say why you reject it" });
      expect(accepted.body).toEqual({ status: 200, body: "" });
      expect(payloadOf(app.received.at(-1) as Received)).toMatchObject({
        type: "view_submission",
        user: { id: approver.id },
        view: {
          id: view.id,
          type: "modal",
          callback_id: "approval.reject-reason",
          private_metadata: '{"requestId":"r-1","stage":0}',
          state: { values: { reason: { reason: { type: "plain_text_input", value: "Too big" } } } },
        },
        trigger_id: expect.any(String),
      });
      expect((await slackState()).views).toEqual([]);
    });
  });

  describe("the Teams webhook", () => {
    const sendCard = (body: unknown) =>
      fetch(`${base}/teams/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });

    it("accepts an Adaptive Card message with 202 and keeps it", async () => {
      const response = await sendCard(TEAMS_CARD);

      expect(response.status).toBe(202);
      expect(await (await fetch(`${base}/teams/messages`)).json()).toMatchObject({
        messages: [{ body: TEAMS_CARD }],
      });
    });

    it("refuses other shapes with 400, saying what is wrong", async () => {
      const response = await sendCard({ text: "plain" });

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ message: 'type: type must be "message"' });
    });

    it("answers every call with the outage a test turned on, until it is turned off", async () => {
      await postJson("/teams/outage", { status: 429, retryAfter: 7 });
      const limited = await sendCard(TEAMS_CARD);
      await fetch(`${base}/teams/outage`, { method: "DELETE" });
      const after = await sendCard(TEAMS_CARD);

      expect([limited.status, limited.headers.get("retry-after"), after.status]).toEqual([429, "7", 202]);
    });
  });

  it("clears Slack's and Teams' messages with the mailbox's /clear-store", async () => {
    await slack.chat.postMessage({ channel: approver.id, text: "to be cleared" });
    await fetch(`${base}/teams/webhook`, { method: "POST", body: JSON.stringify(TEAMS_CARD) });

    await fetch(`${base}/clear-store`, { method: "POST" });

    expect((await slackState()).messages).toEqual([]);
    expect(await (await fetch(`${base}/teams/messages`)).json()).toEqual({ messages: [] });
  });

  it("shows the mailbox's page with tabs to Slack and Teams", async () => {
    const page = await (await fetch(`${base}/`)).text();

    expect(page).toContain('<a href="/slack">Slack</a>');
    expect(page).toContain('<a href="/teams">Teams</a>');
    expect(page).toContain("aws-ses-v2-local viewer");
  });

  it("answers only to the stack's host names, as the mailbox does", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      httpRequest(
        { host: "127.0.0.1", port: mailbox.port, path: "/slack/messages", headers: { host: "evil.example" } },
        (answer) => {
          answer.resume();
          resolve(answer.statusCode ?? 0);
        },
      )
        .on("error", reject)
        .end();
    });

    expect(status).toBe(421);
  });
});
