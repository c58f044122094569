import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalStageStarted, ApprovalVoteRecorded } from "../../events/index.ts";
import { existingServicesPrincipal } from "../../infra/local/edge/principals.ts";
import type { DeadLetter } from "../../infra/local/eventbridge/types.ts";
import {
  APPROVALS,
  buttonPayload,
  buttonsOf,
  deadLetters,
  deliveredToEveryRule,
  ephemeralsTo,
  messageTo,
  press,
  redrive,
  type SlackMessageSeen,
  sendSignedInteraction,
  slackMessagesAbout,
  slackOutage,
  submitRejectReason,
  type TeamsCardSeen,
  teamsCardsAbout,
  waitForSlackMessages,
  waitForView,
  wordsOf,
} from "../support/chat.ts";
import {
  ANA,
  decide,
  decisionLinks,
  getRequest,
  localUsersEnv,
  OPERATOR_EMAIL,
  type RequestView,
  submit,
  validRequest,
  waitForEmails,
  waitForStatus,
} from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

/**
 * Slack and Teams on the whole local stack, through the stand-ins on the mailbox port: approvers asked
 * in Slack and deciding there, the messages kept up to date whichever way the decision is made, the
 * requester told, Teams cards, and Slack's signature, outages and redeliveries.
 */

const APPROVER = "approver@example.com";
const APPROVER2 = "approver2@example.com";

/** One approval decides, unless the justification starts with "pairs:": then two must approve. */
const POLICIES = {
  policies: [
    {
      name: "pairs",
      description: "Two of 'approvers'.",
      match: { justification: [{ prefix: "pairs:" }] },
      stages: [{ name: "team leads", approvers: { groups: ["approvers"] }, quorum: 2 }],
    },
    {
      name: "default",
      description: "One of 'approvers'.",
      stages: [{ name: "approvers", approvers: { groups: ["approvers"] }, quorum: 1 }],
    },
  ],
};

/**
 * Chat's failed deliveries are retried with backoff from 50 ms, ten times in all: from 13 to 26 s
 * before one is dead-lettered, long enough to outlast a short outage, short enough to see the end.
 */
const BUS_MAX_ATTEMPTS = 10;

let stack: StackUnderTest;
let policiesDir: string;

beforeAll(async () => {
  policiesDir = mkdtempSync(join(tmpdir(), "chat-policies-"));
  const policyFile = join(policiesDir, "policies.json");
  writeFileSync(policyFile, JSON.stringify(POLICIES));
  stack = await startStack({
    env: {
      ...localUsersEnv(),
      APPROVAL_POLICIES: policyFile,
      BUS_MAX_ATTEMPTS: String(BUS_MAX_ATTEMPTS),
    },
  });
});
afterAll(async () => {
  await stack?.destroy();
  if (policiesDir) rmSync(policiesDir, { recursive: true, force: true });
});

/** The fixtures' instance without its fixed private IP, so each request's instance can run at once. */
const { privateIp: _, ...resource } = validRequest().resource as Record<string, unknown>;

const submitted = async (justification = "A build box") => {
  const answer = await submit(stack, validRequest({ justification, resource }));
  expect(answer.status).toBe(202);
  return String(answer.body.requestId);
};

const isApprovalMessage = (message: SlackMessageSeen) => /approval needed/i.test(message.text ?? "");

/** The request's approval messages (not the requester's news) once each approver and the channel has one. */
const approvalMessages = async (requestId: string) => {
  const expected = [APPROVER, APPROVER2, APPROVALS];
  const messages = await waitForSlackMessages(stack, requestId, (all) =>
    expected.every((to) => all.some((message) => message.to === to && isApprovalMessage(message))),
  );
  return messages.filter(isApprovalMessage);
};

/** The request's approval messages once every one of them satisfies `accept`. */
const approvalMessagesWhen = (requestId: string, accept: (message: SlackMessageSeen) => boolean) =>
  waitForSlackMessages(stack, requestId, (all) => {
    const asking = all.filter(isApprovalMessage);
    return asking.length > 0 && asking.every(accept);
  }).then((all) => all.filter(isApprovalMessage));

/** The request once approved: it may be provisioned already, as the instance starts at once. */
const waitForApproval = (requestId: string) =>
  stack.eventually(
    () => getRequest(stack, requestId),
    (view) => view?.decision?.outcome === "APPROVED",
  ) as Promise<RequestView>;

/** A Teams card's status line, the first text it shows. */
const statusOf = (card: TeamsCardSeen | undefined) =>
  (card?.body.attachments[0]?.content.body[0] as { text?: string } | undefined)?.text;

const votesOn = (view: RequestView | undefined) =>
  (view?.timeline ?? []).filter((entry) => entry.type === ApprovalVoteRecorded.detailType);

describe("Slack's signature at POST /slack/interactions", () => {
  it("refuses a body signed with another secret, and a correctly signed one more than five minutes old", async () => {
    const requestId = await submitted();
    const dm = messageTo(await approvalMessages(requestId), APPROVER);
    const payload = buttonPayload(dm, "approve", APPROVER);

    const forged = await sendSignedInteraction(stack, payload, { signingSecret: "not-the-app-secret" });
    const stale = await sendSignedInteraction(stack, payload, {
      signedAt: new Date(Date.now() - 6 * 60_000),
    });

    expect(forged.status).toBe(401);
    expect(stale.status).toBe(401);
    const view = await getRequest(stack, requestId);
    expect(view?.status).toBe("PENDING_APPROVAL");
    expect(votesOn(view)).toEqual([]);
  });

  it("decides once when the same signed request arrives twice, and tells the approver why the second did nothing", async () => {
    const requestId = await submitted();
    const dm = messageTo(await approvalMessages(requestId), APPROVER);
    const payload = buttonPayload(dm, "approve", APPROVER);
    const signedAt = new Date();

    const first = await sendSignedInteraction(stack, payload, { signedAt });
    const replay = await sendSignedInteraction(stack, payload, { signedAt });

    expect([first.status, replay.status]).toEqual([200, 200]);
    const approved = await waitForApproval(requestId);
    expect(votesOn(approved)).toHaveLength(1);
    const [told] = (await ephemeralsTo(stack, APPROVER)).filter(
      (ephemeral) => ephemeral.channel === dm.channel,
    );
    expect(told?.text).toMatch(/already been decided/i);
  });
});

describe("deciding in Slack", () => {
  it("approves from an approver's direct message; every message of the request then says by whom, without buttons", async () => {
    const requestId = await submitted();

    const asked = await approvalMessages(requestId);
    expect(asked.map((message) => message.to).sort()).toEqual([APPROVALS, APPROVER, APPROVER2].sort());
    for (const message of asked) {
      expect(buttonsOf(message)).toEqual(["approval.approve", "approval.reject"]);
      expect(wordsOf(message)).toContain(ANA.email);
    }
    expect(asked.some((message) => message.to === ANA.email)).toBe(false);

    const answer = await press(stack, messageTo(asked, APPROVER), "approve");

    expect(answer).toMatchObject({ status: 200, body: { status: 200 } });
    await waitForStatus(stack, requestId, "PROVISIONED");
    const closed = await approvalMessagesWhen(requestId, (message) => buttonsOf(message).length === 0);
    expect(closed).toHaveLength(3);
    for (const message of closed) expect(wordsOf(message)).toContain(`Approved by ${APPROVER}`);
  });

  it("rejects with the reason the modal asks for: none is refused in the modal, one decides and the requester is told", async () => {
    const requestId = await submitted();
    const dm = messageTo(await approvalMessages(requestId), APPROVER2);

    expect((await press(stack, dm, "reject")).status).toBe(200);
    const view = await waitForView(stack, APPROVER2);
    expect(view.view.private_metadata).toContain(requestId);

    const empty = await submitRejectReason(stack, view, "");
    expect(empty.body.errors?.reason).toMatch(/say why/i);
    const still = await getRequest(stack, requestId);
    expect(still?.status).toBe("PENDING_APPROVAL");
    expect(votesOn(still)).toEqual([]);

    const reason = "Use the shared build pool instead";
    const given = await submitRejectReason(stack, view, reason);
    expect(given.body.errors).toBeUndefined();
    const rejected = await waitForStatus(stack, requestId, "REJECTED");
    expect(rejected.decision).toMatchObject({ outcome: "REJECTED", approver: APPROVER2, reason });

    const closed = await approvalMessagesWhen(requestId, (message) => buttonsOf(message).length === 0);
    for (const message of closed) expect(wordsOf(message)).toContain(`Rejected by ${APPROVER2}`);
    await waitForSlackMessages(stack, requestId, (all) =>
      all.some((message) => message.to === ANA.email && wordsOf(message).includes(reason)),
    );
    const [toldByEmail] = await waitForEmails(stack, ANA.email, reason);
    expect(toldByEmail?.subject).toContain(requestId);
  });

  it("refuses a click in #approvals by the requester or an operator, telling only them, and records nothing", async () => {
    const requestId = await submitted();
    const channel = messageTo(await approvalMessages(requestId), APPROVALS);

    for (const who of [ANA.email, OPERATOR_EMAIL]) {
      expect((await press(stack, channel, "approve", who)).status).toBe(200);
    }

    const [toAna] = (await ephemeralsTo(stack, ANA.email)).filter((e) => e.channel === channel.channel);
    const [toOperator] = (await ephemeralsTo(stack, OPERATOR_EMAIL)).filter(
      (e) => e.channel === channel.channel,
    );
    expect(toAna?.text).toMatch(/your own request/i);
    expect(toOperator?.text).toMatch(/no request awaits your decision/i);
    const view = await getRequest(stack, requestId);
    expect(view?.status).toBe("PENDING_APPROVAL");
    expect(votesOn(view)).toEqual([]);
    const after = (await slackMessagesAbout(stack, requestId)).filter(isApprovalMessage);
    for (const message of after) expect(buttonsOf(message)).toEqual(["approval.approve", "approval.reject"]);
  });

  it("counts a quorum across Slack and email, and updates Slack on the email's decision", async () => {
    const requestId = await submitted("pairs: a shared runner");
    const asked = await approvalMessages(requestId);

    await press(stack, messageTo(asked, APPROVER), "approve");

    const voted = await waitForSlackMessages(
      stack,
      requestId,
      (all) => buttonsOf(messageTo(all.filter(isApprovalMessage), APPROVER)).length === 0,
    );
    const approvals = voted.filter(isApprovalMessage);
    expect(wordsOf(messageTo(approvals, APPROVER))).toMatch(/You approved at .* waiting for 1 more approval/);
    const other = await waitForSlackMessages(stack, requestId, (all) =>
      wordsOf(messageTo(all.filter(isApprovalMessage), APPROVER2)).includes(`${APPROVER} approved (1 of 2)`),
    ).then((all) => messageTo(all.filter(isApprovalMessage), APPROVER2));
    expect(buttonsOf(other)).toEqual(["approval.approve", "approval.reject"]);
    expect((await getRequest(stack, requestId))?.status).toBe("PENDING_APPROVAL");

    const [mail] = await waitForEmails(stack, APPROVER2, requestId);
    const decided = await decide(decisionLinks(mail as NonNullable<typeof mail>).approve);
    expect(decided.status).toBe(200);

    await waitForApproval(requestId);
    const closed = await approvalMessagesWhen(requestId, (message) => buttonsOf(message).length === 0);
    expect(closed).toHaveLength(3);
    for (const message of closed)
      expect(wordsOf(message)).toContain(`Approved by ${APPROVER} and ${APPROVER2}`);
  });
});

describe("Teams", () => {
  it("gets a card for the approval request with links to the portal, one for the decision and one for the instance", async () => {
    const requestId = await submitted();
    const [mail] = await waitForEmails(stack, APPROVER, requestId);

    const [asking] = await stack.eventually(
      () => teamsCardsAbout(stack, requestId),
      (cards) => cards.length >= 1,
    );
    expect(statusOf(asking)).toBe("Awaiting approval");
    const opens = (asking?.body.attachments[0]?.content.actions ?? []).map(({ type, url }) => ({
      type,
      url,
    }));
    expect(opens).toEqual([
      { type: "Action.OpenUrl", url: `${stack.portalUrl}/requests/${requestId}` },
      { type: "Action.OpenUrl", url: `${stack.portalUrl}/approvals` },
    ]);

    await decide(decisionLinks(mail as NonNullable<typeof mail>).approve);
    const provisioned = await waitForStatus(stack, requestId, "PROVISIONED");

    const cards = await stack.eventually(
      () => teamsCardsAbout(stack, requestId),
      (all) => all.length >= 3,
    );
    expect(cards.map(statusOf).sort()).toEqual(["Approved", "Awaiting approval", "Running"]);
    const result = cards.find((card) => statusOf(card) === "Running");
    expect(wordsOf(result?.body)).toContain(String(provisioned.instanceId));
  });
});

describe("resilience", () => {
  it("sends the approval emails through a Slack outage, and the direct messages once Slack is back", async () => {
    await slackOutage(stack, 500);
    let requestId: string;
    try {
      requestId = await submitted();
      await waitForEmails(stack, APPROVER, requestId);
      await waitForEmails(stack, APPROVER2, requestId);
      expect(await slackMessagesAbout(stack, requestId)).toEqual([]);
    } finally {
      await slackOutage(stack, undefined);
    }
    await approvalMessages(requestId);
  });

  it("dead-letters chat's event, with the reason, when the outage outlasts the retries; the flow completes meanwhile", async () => {
    await slackOutage(stack, 500);
    let requestId: string;
    let letters: DeadLetter[];
    try {
      requestId = await submitted();
      const [mail] = await waitForEmails(stack, APPROVER, requestId);
      await decide(decisionLinks(mail as NonNullable<typeof mail>).approve);
      await waitForStatus(stack, requestId, "PROVISIONED");

      // The requester's news, which chat could not tell in Slack. (Its asks of the approvers, retried
      // after the approval closed, have nothing left to post, and succeed.)
      letters = await stack.eventually(
        async () =>
          (await deadLetters(stack)).filter(
            (dead) =>
              dead.ruleName.startsWith("chat-") && JSON.stringify(dead.event.detail).includes(requestId),
          ),
        (found) => found.length > 0,
        45_000,
      );
      for (const letter of letters) {
        expect(letter.attempts).toBe(BUS_MAX_ATTEMPTS);
        // Slack's answer to the call that failed: an HTTP error (the stand-in's 500).
        expect(`${letter.error.name}: ${letter.error.message}`).toMatch(/HTTP 500/);
      }
      expect(await slackMessagesAbout(stack, requestId)).toEqual([]);
    } finally {
      await slackOutage(stack, undefined);
    }

    // Redriven once Slack is back, as an operator would, the news reaches the requester after all.
    await redrive(
      stack,
      letters.map((letter) => letter.id),
    );
    await waitForSlackMessages(stack, requestId, (messages) =>
      messages.some((message) => message.to === ANA.email),
    );
  }, 90_000);

  // PutEvents gives each copy an id of its own: the messages are once per approval, stage and
  // recipient, not merely once per event id (the redrive above delivers an event under its own id again).
  it("posts one message per approver however often the stage's start is delivered", async () => {
    const requestId = await submitted();
    const asked = await approvalMessages(requestId);
    const started = (await getRequest(stack, requestId))?.timeline.find(
      (entry) => entry.type === ApprovalStageStarted.detailType,
    );
    expect(started).toBeDefined();

    const services = new EventBridgeClient({
      endpoint: stack.edgeUrl,
      region: "us-east-1",
      credentials: await existingServicesPrincipal(stack.dataDir),
    });
    try {
      const entry = {
        EventBusName: "approvals",
        Source: ApprovalStageStarted.source,
        DetailType: ApprovalStageStarted.detailType,
        Detail: JSON.stringify(started?.detail),
      };
      const published = await services.send(new PutEventsCommand({ Entries: [entry, entry, entry] }));
      expect(published.FailedEntryCount).toBe(0);
      const copies = (published.Entries ?? []).map((copy) => String(copy.EventId));
      await stack.eventually(
        async () => deliveredToEveryRule(stack, copies),
        (done) => done,
      );
    } finally {
      services.destroy();
    }

    const after = (await slackMessagesAbout(stack, requestId)).filter(isApprovalMessage);
    expect(after.map((message) => message.to).sort()).toEqual(asked.map((message) => message.to).sort());
  });
});
