import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebAPIHTTPError, WebAPIPlatformError, WebClient, WebClientEvent } from "@slack/web-api";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { slackClientOf } from "../../../services/shared/slack-client.ts";
import { DEFAULT_LOCAL_USERS } from "../identity/users.ts";
import { type Mailbox, startMailbox } from "../mailbox.ts";
import { APPROVALS_CHANNEL, memberOf } from "./workspace.ts";

const BOT_TOKEN = "xoxb-local-test";
const memberWith = (email: string) => {
  const user = DEFAULT_LOCAL_USERS.find((candidate) => candidate.email === email);
  if (!user) throw new Error(`${email} is not a default local user`);
  return memberOf(user);
};
const approver = memberWith("approver@example.com");

describe("the stand-in's Slack Web API, through @slack/web-api", () => {
  let dataDir: string;
  let mailbox: Mailbox;
  let base: string;
  /** The services' own client: Retry-After honoured, two retries, then it throws. */
  let slack: WebClient;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "slack-api-"));
    mailbox = await startMailbox({
      host: "127.0.0.1",
      port: 0,
      dataDir,
      chat: {
        users: DEFAULT_LOCAL_USERS,
        botToken: BOT_TOKEN,
        signingSecret: "secret",
        portalUrl: "http://127.0.0.1:1",
      },
    });
    base = `http://127.0.0.1:${mailbox.port}`;
    slack = slackClientOf({ botToken: BOT_TOKEN, signingSecret: "secret", apiUrl: `${base}/slack/api/` });
  });
  afterAll(async () => {
    await mailbox.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await fetch(`${base}/slack/outage`, { method: "DELETE" });
  });
  const failureOf = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(WebAPIPlatformError);
    return (error as WebAPIPlatformError).data;
  };
  const slackMessages = async () =>
    (await (await fetch(`${base}/slack/messages`)).json()) as {
      messages: {
        to: string;
        channel: string;
        ts: string;
        text: string;
        blocks?: unknown[];
        history: unknown[];
      }[];
      ephemerals: { to: string; channel: string; text: string }[];
    };

  it("posts to a member's id in their direct message, with a Slack timestamp later than the one before", async () => {
    const first = await slack.chat.postMessage({ channel: approver.id, text: "first" });
    const second = await slack.chat.postMessage({
      channel: approver.id,
      text: "second",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "*second*" } }],
    });

    expect(first).toMatchObject({ ok: true, channel: approver.dmChannel, message: { text: "first" } });
    expect(second.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    expect((await slackMessages()).messages).toContainEqual(
      expect.objectContaining({
        to: "approver@example.com",
        channel: approver.dmChannel,
        ts: second.ts,
        blocks: [{ type: "section", text: { type: "mrkdwn", text: "*second*" } }],
      }),
    );
  });

  it("posts to #approvals by name or id, and updates a message by the channel id it answered, keeping the history", async () => {
    const posted = await slack.chat.postMessage({ channel: "#approvals", text: "asked" });
    const updated = await slack.chat.update({
      channel: posted.channel as string,
      ts: posted.ts as string,
      text: "approved",
    });

    expect(posted.channel).toBe(APPROVALS_CHANNEL.id);
    expect(updated).toMatchObject({
      ok: true,
      channel: APPROVALS_CHANNEL.id,
      ts: posted.ts,
      text: "approved",
    });
    const message = (await slackMessages()).messages.find((item) => item.ts === posted.ts);
    expect(message).toMatchObject({ to: "#approvals", text: "approved", history: [{ text: "asked" }] });
  });

  it("refuses an update by channel name, of an unknown message, and posts to unknown channels, with Slack's codes", async () => {
    const posted = await slack.chat.postMessage({ channel: approver.id, text: "asked" });

    expect(
      await failureOf(slack.chat.update({ channel: "#approvals", ts: posted.ts as string, text: "x" })),
    ).toMatchObject({
      error: "channel_not_found",
    });
    expect(
      await failureOf(slack.chat.update({ channel: approver.dmChannel, ts: "1.000001", text: "x" })),
    ).toMatchObject({ error: "message_not_found" });
    expect(await failureOf(slack.chat.postMessage({ channel: "#random", text: "x" }))).toMatchObject({
      error: "channel_not_found",
    });
  });

  it("cannot update an ephemeral message", async () => {
    const shown = await slack.chat.postEphemeral({
      channel: approver.dmChannel,
      user: approver.id,
      text: "only you",
    });

    expect(
      await failureOf(
        slack.chat.update({ channel: approver.dmChannel, ts: shown.message_ts as string, text: "x" }),
      ),
    ).toMatchObject({ error: "cant_update_message" });
    expect((await slackMessages()).ephemerals).toContainEqual(
      expect.objectContaining({ to: "approver@example.com", channel: approver.dmChannel, text: "only you" }),
    );
  });

  it("shows an ephemeral in a direct message only to its owner", async () => {
    const requester = memberWith("requester@example.com");

    expect(
      await failureOf(
        slack.chat.postEphemeral({ channel: approver.dmChannel, user: requester.id, text: "x" }),
      ),
    ).toMatchObject({ error: "user_not_in_channel" });
  });

  it("looks members up by email and by id, as users.lookupByEmail and users.info answer", async () => {
    const byEmail = await slack.users.lookupByEmail({ email: "Approver@Example.com" });
    const byId = await slack.users.info({ user: approver.id });

    expect(byEmail.user).toMatchObject({
      id: approver.id,
      team_id: "T0LOCAL",
      deleted: false,
      is_bot: false,
      is_stranger: false,
      is_email_confirmed: true,
      profile: { email: "approver@example.com" },
    });
    expect(byId.user).toEqual(byEmail.user);
    expect(approver.id).toMatch(/^U[0-9A-F]{10}$/);
    expect(approver.dmChannel).toBe(`D${approver.id.slice(1)}`);
    expect(await failureOf(slack.users.lookupByEmail({ email: "nobody@example.com" }))).toMatchObject({
      error: "users_not_found",
    });
    expect(await failureOf(slack.users.info({ user: "U0000000000" }))).toMatchObject({
      error: "user_not_found",
    });
  });

  it("says who the bot token is with auth.test: the workspace its members share, and the bot", async () => {
    const answer = await slack.auth.test();

    expect(answer).toMatchObject({
      ok: true,
      url: "https://approvals-local.slack.com/",
      team: "Approvals (local)",
      user: "approvals",
      team_id: "T0LOCAL",
      user_id: "U0LOCALBOT",
      bot_id: "B0LOCALBOT",
    });
    expect(answer.team_id).toBe((await slack.users.info({ user: approver.id })).user?.team_id);
  });

  it("explains missing arguments, and refuses a post with neither text nor blocks", async () => {
    expect(await failureOf(slack.users.lookupByEmail({} as never))).toEqual(
      expect.objectContaining({
        error: "invalid_arguments",
        response_metadata: { messages: ["[ERROR] missing required field: email"] },
      }),
    );
    expect(await failureOf(slack.chat.postMessage({ channel: approver.id } as never))).toMatchObject({
      error: "no_text",
    });
  });

  it("accepts only its own bot token", async () => {
    const stranger = new WebClient("xoxb-someone-else", {
      slackApiUrl: `${base}/slack/api/`,
      retryConfig: { retries: 0 },
    });
    const anonymous = new WebClient(undefined, {
      slackApiUrl: `${base}/slack/api/`,
      retryConfig: { retries: 0 },
    });

    expect(await failureOf(stranger.chat.postMessage({ channel: approver.id, text: "x" }))).toMatchObject({
      error: "invalid_auth",
    });
    expect(await failureOf(anonymous.chat.postMessage({ channel: approver.id, text: "x" }))).toMatchObject({
      error: "not_authed",
    });
  });

  it("answers a method it does not have with 404 unknown_method, as Slack does", async () => {
    const response = await fetch(`${base}/slack/api/chat.scheduleMessage`, {
      method: "POST",
      headers: { authorization: `Bearer ${BOT_TOKEN}` },
    });

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      ok: false,
      error: "unknown_method",
      req_method: "chat.scheduleMessage",
    });
  });

  it("opens a view only with a trigger id it issued", async () => {
    const view = { type: "modal", title: { type: "plain_text", text: "Reject" }, blocks: [] };

    expect(await failureOf(slack.views.open({ trigger_id: "1.forged", view: view as never }))).toMatchObject({
      error: "invalid_trigger_id",
    });
  });

  it("reads a JSON body as well as the SDK's form", async () => {
    const response = await fetch(`${base}/slack/api/chat.postMessage`, {
      method: "POST",
      headers: { authorization: `Bearer ${BOT_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ channel: "C0APPROVALS", blocks: [{ type: "divider" }] }),
    });

    expect(await response.json()).toMatchObject({
      ok: true,
      channel: "C0APPROVALS",
      message: { blocks: [{ type: "divider" }] },
    });
  });

  it("waits out a 429's Retry-After and then succeeds, as the services' client is configured to", async () => {
    await fetch(`${base}/slack/outage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: 429, retryAfter: 1 }),
    });
    // The outage ends once the client has been told to wait, so its retry is answered normally.
    slack.once(WebClientEvent.RATE_LIMITED, () => void fetch(`${base}/slack/outage`, { method: "DELETE" }));

    const posted = await slack.chat.postMessage({ channel: approver.id, text: "after the wait" });

    expect(posted.ok).toBe(true);
  });

  it("makes the client throw on a 500, so the bus retries the event", async () => {
    await fetch(`${base}/slack/outage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: 500 }),
    });

    const error = await slack.chat
      .postMessage({ channel: approver.id, text: "x" })
      .catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(WebAPIHTTPError);
    expect((error as WebAPIHTTPError).statusCode).toBe(500);
  });
});
