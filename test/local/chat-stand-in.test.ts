import { readFileSync } from "node:fs";
import { join } from "node:path";
import { WebClient } from "@slack/web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getRequest, submit, validRequest } from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

/**
 * Local mode's stand-ins for Slack and Teams, on the whole stack: the services' messages land on the
 * mailbox port, and a button pressed there reaches decision as a signed interaction from Slack would.
 */

interface SlackMessageJson {
  to: string;
  channel: string;
  ts: string;
  text?: string;
  blocks?: { type: string; elements?: { action_id?: string }[] }[];
  updatedAt?: string;
}

const REQUESTER = "requester@example.com";
const APPROVER = "approver@example.com";

describe("the local Slack stand-in in a running stack", () => {
  let stack: StackUnderTest;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.destroy());

  const slackMessages = async () =>
    ((await (await fetch(`${stack.mailboxUrl}/slack/messages`)).json()) as { messages: SlackMessageJson[] })
      .messages;

  it("shows on /slack/messages what is posted with the stand-in's bot token", async () => {
    const token = readFileSync(join(stack.dataDir, "slack-bot-token"), "utf8").trim();
    const slack = new WebClient(token, { slackApiUrl: `${stack.mailboxUrl}/slack/api/` });

    const { user } = await slack.users.lookupByEmail({ email: "operator@example.com" });
    const posted = await slack.chat.postMessage({ channel: user?.id as string, text: "Hello from a test" });

    expect(await slackMessages()).toContainEqual(
      expect.objectContaining({ to: "operator@example.com", ts: posted.ts, text: "Hello from a test" }),
    );
  });

  /** Submits a request as the requester; resolves with its id and the approver's Slack message about it. */
  const submitAndWaitForSlack = async () => {
    // Left out, the requester is the one signed in.
    const submitted = await submit(stack, validRequest({ requester: undefined }), {}, REQUESTER);
    const requestId = submitted.body.requestId as string;
    expect(requestId, JSON.stringify(submitted.body)).toBeTypeOf("string");
    const about = (message: SlackMessageJson) =>
      message.to === APPROVER && JSON.stringify(message.blocks ?? []).includes(requestId);
    const messages = await stack.eventually(slackMessages, (all) => all.some(about));
    return { requestId, message: messages.find(about) as SlackMessageJson };
  };

  const postJson = async (path: string, body: unknown) =>
    (await (
      await fetch(`${stack.mailboxUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      })
    ).json()) as Record<string, unknown>;

  const decisionOf = async (requestId: string) =>
    (
      await stack.eventually(
        () => getRequest(stack, requestId),
        (view) => view?.decision !== undefined,
      )
    )?.decision;

  it("asks an approver in Slack, and their Approve pressed on the page decides the request", async () => {
    const { requestId, message } = await submitAndWaitForSlack();

    const pressed = await postJson("/slack/actions", {
      channel: message.channel,
      ts: message.ts,
      actionId: "approval.approve",
    });

    expect(pressed).toMatchObject({ status: 200 });
    expect(await decisionOf(requestId)).toMatchObject({ outcome: "APPROVED", approver: APPROVER });
    // chat updates the message where it was posted (chat.update names it by the channel id it was answered).
    await stack.eventually(slackMessages, (messages) =>
      messages.some(
        (updated) =>
          updated.ts === message.ts &&
          updated.updatedAt !== undefined &&
          !JSON.stringify(updated.blocks ?? []).includes("approval.approve"),
      ),
    );
  });

  it("opens decision's modal on Reject, and rejects with the reason submitted in it", async () => {
    const { requestId, message } = await submitAndWaitForSlack();

    await postJson("/slack/actions", {
      channel: message.channel,
      ts: message.ts,
      actionId: "approval.reject",
    });
    const { views } = await stack.eventually(
      async () =>
        (await (await fetch(`${stack.mailboxUrl}/slack/messages`)).json()) as {
          views: { id: string; to: string }[];
        },
      (state) => state.views.some((view) => view.to === APPROVER),
    );
    const modal = views.find((view) => view.to === APPROVER) as { id: string };
    const submitted = await postJson(`/slack/views/${modal.id}/submit`, {
      values: { reason: { reason: "Too big for a test" } },
    });

    expect(submitted).toMatchObject({ status: 200 });
    expect(await decisionOf(requestId)).toMatchObject({
      outcome: "REJECTED",
      approver: APPROVER,
      reason: "Too big for a test",
    });
  });

  it("posts the new approval request to the Teams stand-in as an Adaptive Card", async () => {
    const { requestId } = await submitAndWaitForSlack();

    const { messages } = await stack.eventually(
      async () =>
        (await (await fetch(`${stack.mailboxUrl}/teams/messages`)).json()) as { messages: unknown[] },
      (teams) => teams.messages.some((card) => JSON.stringify(card).includes(requestId)),
    );

    expect(messages.find((card) => JSON.stringify(card).includes(requestId))).toMatchObject({
      body: { type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive" }] },
    });
  });
});
