import "../../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { manualClock, silentLogger } from "../../../test/support/fakes.ts";
import { sampleRequest } from "../../../test/support/fixtures.ts";
import { recordingPublisher } from "../../../test/support/recording-publisher.ts";
import { recordingSchedules } from "../../../test/support/recording-schedules.ts";
import type { ChatSettings } from "../../shared/chat-settings.ts";
import { createLocalDirectory } from "../../shared/directory.ts";
import {
  type ApprovalButtonValue,
  decodeButtonValue,
  encodeButtonValue,
  REJECT_MODAL,
  SLACK_ACTION_IDS,
} from "../../shared/slack-approval-actions.ts";
import { SIGNATURE_HEADER, signSlackRequest, TIMESTAMP_HEADER } from "../../shared/slack-signature.ts";
import { issueLinks } from "../../shared/testing/decision-tokens.ts";
import { type AskedApproval, askedApprovalOf } from "../domain.ts";
import { createOutboxPublisher } from "../outbox.ts";
import { type ApprovalStore, createApprovalStore } from "../store.ts";
import { approvalsTable } from "../tables.ts";
import { approvalRequestedFor } from "../testing/approvals.ts";
import { createSlackInteractions } from "./interactions.ts";
import type { SlackView } from "./modal.ts";
import type { SlackApi } from "./web-api.ts";

const SIGNING_SECRET = "signing-secret-for-tests";
const SLACK_ON: ChatSettings = { slack: { botToken: "xoxb-test", signingSecret: SIGNING_SECRET } };

/** Slack's users, by id, with the email on their profile. */
const SLACK_USERS: Record<string, string | undefined> = {
  UBOB: "Bob@Example.com",
  UCY: "cy@example.com",
  UANA: "ana@example.com",
  UDEE: "dee@example.com",
  UEVE: "eve@elsewhere.example",
  UFAY: "fay@example.com",
  UNOMAIL: undefined,
};

/**
 * Bob and Cy are asked; Ana asks; Dee approves other requests; Eve is not in the directory; Fay was an
 * approver, and has left the approvers group since.
 */
const directory = createLocalDirectory([
  { email: "bob@example.com", subject: "sub-bob", groups: ["approvers"] },
  { email: "cy@example.com", subject: "sub-cy", groups: ["approvers"] },
  { email: "ana@example.com", subject: "sub-ana", groups: ["requesters", "approvers"] },
  { email: "dee@example.com", subject: "sub-dee", groups: ["approvers"] },
  { email: "fay@example.com", subject: "sub-fay", groups: ["requesters"] },
]);

let dynamo: TestDynamo;
let store: ApprovalStore;

beforeAll(async () => {
  dynamo = await startTestDynamo([approvalsTable]);
  store = createApprovalStore(approvalsTable.id, dynamo.document);
});
afterAll(() => dynamo.close());

/** A Slack Web API that knows SLACK_USERS and records what it was asked to show. */
const fakeSlack = () => {
  const ephemerals: { channel: string; user: string; text: string }[] = [];
  const views: { triggerId: string; view: SlackView }[] = [];
  const api: SlackApi = {
    userEmail: async (userId) => SLACK_USERS[userId],
    openView: async (triggerId, view) => {
      views.push({ triggerId, view });
    },
    tellEphemeral: async (channel, user, text) => {
      ephemerals.push({ channel, user, text });
    },
  };
  return { api, ephemerals, views };
};

/** A button press as Slack posts it (the parts of a real payload, plus some decision does not read). */
const buttonPayload = (user: string, action: "approve" | "reject", value: string) => ({
  type: "block_actions",
  user: { id: user, username: user.toLowerCase(), team_id: "T0TEST" },
  api_app_id: "A0TEST",
  trigger_id: `trigger-of-${user}`,
  team: { id: "T0TEST", domain: "test" },
  container: {
    type: "message",
    message_ts: "1772359200.000100",
    channel_id: `D${user}`,
    is_ephemeral: false,
  },
  channel: { id: `D${user}`, name: "directmessage" },
  message: { ts: "1772359200.000100", text: "Approval requested" },
  actions: [
    {
      type: "button",
      action_id: SLACK_ACTION_IDS[action],
      block_id: "decide",
      value,
      action_ts: "1772359201.000200",
    },
  ],
});

/** The Reject modal submitted with `reason`, as Slack posts it. */
const submissionPayload = (user: string, reason: string | null, metadata: string) => ({
  type: "view_submission",
  user: { id: user, team_id: "T0TEST" },
  trigger_id: `trigger-of-${user}`,
  view: {
    id: "V0TEST",
    type: "modal",
    callback_id: REJECT_MODAL.callbackId,
    private_metadata: metadata,
    state: {
      values: {
        [REJECT_MODAL.reasonBlockId]: {
          [REJECT_MODAL.reasonActionId]: { type: "plain_text_input", value: reason },
        },
      },
    },
  },
});

/** What one approval publishes when it decides a request its only stage needs one approval for. */
const APPROVED_BY_ONE = ["ApprovalVoteRecorded", "ApprovalStageCompleted", "RequestApproved"];

const formOf = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

const setUp = async ({
  requestId,
  approvers = ["bob@example.com", "cy@example.com"],
  quorum = 1,
  stage = { index: 0, name: "approvers", count: 1 },
  settings = SLACK_ON,
  record = {},
  storeOf = (real) => real,
}: {
  requestId: string;
  approvers?: string[];
  quorum?: number;
  stage?: { index: number; name: string; count: number };
  settings?: ChatSettings;
  /** What the stored approval holds besides a pending request's: delegates, a round. */
  record?: Partial<AskedApproval>;
  /** The store as the interactions see it. */
  storeOf?: (real: ApprovalStore) => ApprovalStore;
}) => {
  const clock = manualClock();
  const bus = recordingPublisher();
  const slack = fakeSlack();
  const app = createSlackInteractions({
    store: storeOf(store),
    directory,
    publishOwed: createOutboxPublisher({
      publisher: bus,
      schedules: recordingSchedules(),
      store,
      now: clock.now,
    }),
    now: clock.now,
    logger: silentLogger(),
    chatSettings: async () => settings,
    slackApiOf: () => slack.api,
  });
  const request = sampleRequest({ requestId, requester: { email: "ana@example.com", name: "Ana" } });
  const expiresAt = new Date(clock.now().getTime() + 3600_000);
  const links = issueLinks({ requestId, approvers, expiresAt });
  await store.createIfAbsent({
    ...askedApprovalOf({
      ...approvalRequestedFor({ request, links, expiresAt, requestedAt: clock.now() }),
      stage,
    }),
    quorum,
    ...record,
  });
  const secondsNow = () => String(Math.floor(clock.now().getTime() / 1000));
  /** Posts a body as Slack does, signed with the app's secret unless the test says otherwise. */
  const post = (
    body: string | Uint8Array<ArrayBuffer>,
    { timestamp = secondsNow(), signature }: { timestamp?: string; signature?: string | null } = {},
  ) =>
    app.request("/slack/interactions", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        [TIMESTAMP_HEADER]: timestamp,
        ...(signature !== null && {
          [SIGNATURE_HEADER]: signature ?? signSlackRequest(SIGNING_SECRET, timestamp, body),
        }),
      },
      body,
    });
  /** The value of the buttons asking about the approval as set up, or as `value` changes it. */
  const button = (value: Partial<ApprovalButtonValue> = {}) =>
    encodeButtonValue({ requestId, stage: stage.index, extension: record.extension?.n, ...value });
  const press = (user: string, action: "approve" | "reject", value = button()) =>
    post(formOf(buttonPayload(user, action, value)));
  const submitReason = (user: string, reason: string | null, metadata = button()) =>
    post(formOf(submissionPayload(user, reason, metadata)));
  const detailTypes = () => bus.published.map((event) => event.detailType);
  return {
    app,
    bus,
    slack,
    clock,
    post,
    button,
    press,
    submitReason,
    detailTypes,
    stored: () => store.get(requestId),
  };
};

describe("POST /slack/interactions: only Slack's signed requests are read", () => {
  it("refuses (401) a body whose signature does not match it, and decides nothing", async () => {
    const { post, button, detailTypes, slack, stored } = await setUp({ requestId: "slack-forged" });
    const body = formOf(buttonPayload("UBOB", "approve", button()));
    const timestamp = String(Math.floor(Date.parse("2026-03-01T10:00:00.000Z") / 1000));

    const wrongSecret = await post(body, {
      timestamp,
      signature: signSlackRequest("another-secret", timestamp, body),
    });
    const otherBody = await post(body, {
      timestamp,
      signature: signSlackRequest(SIGNING_SECRET, timestamp, formOf({ type: "block_actions" })),
    });

    for (const response of [wrongSecret, otherBody]) {
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        error: "Not signed by Slack: x-slack-signature does not match the body",
      });
    }
    expect(detailTypes()).toEqual([]);
    expect(slack.ephemerals).toEqual([]);
    expect(await stored()).toMatchObject({ status: "PENDING", voters: [] });
  });

  it("checks the signature over the bytes sent: invalid UTF-8 read as a signed body's text is refused (401)", async () => {
    const { post, button, detailTypes, stored } = await setUp({ requestId: "slack-bytes" });
    // A form field Slack does not send, holding U+FFFD: what an invalid byte is decoded as.
    const signed = `${formOf(buttonPayload("UBOB", "approve", button()))}&note=\uFFFD`;
    const sent = Buffer.concat([Buffer.from(signed.slice(0, -1)), Buffer.from([0xff])]);
    const timestamp = String(Math.floor(Date.parse("2026-03-01T10:00:00.000Z") / 1000));
    expect(new TextDecoder().decode(sent)).toBe(signed);

    const response = await post(new Uint8Array(sent), {
      timestamp,
      signature: signSlackRequest(SIGNING_SECRET, timestamp, signed),
    });

    expect(response.status).toBe(401);
    expect(detailTypes()).toEqual([]);
    expect(await stored()).toMatchObject({ status: "PENDING", voters: [] });
  });

  it("refuses (401) a request without Slack's headers", async () => {
    const { app, post, button, detailTypes } = await setUp({ requestId: "slack-unsigned" });
    const body = formOf(buttonPayload("UBOB", "approve", button()));

    const noSignature = await post(body, { signature: null });
    const nothing = await app.request("/slack/interactions", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    });

    expect(noSignature.status).toBe(401);
    expect(await noSignature.json()).toEqual({ error: "Not signed by Slack: x-slack-signature is missing" });
    expect(nothing.status).toBe(401);
    expect(await nothing.json()).toEqual({
      error: "Not signed by Slack: x-slack-request-timestamp is missing or not a number of seconds",
    });
    expect(detailTypes()).toEqual([]);
  });

  it("refuses (401) a well-signed request stamped more than five minutes from now, either way", async () => {
    const { post, button, clock, detailTypes } = await setUp({ requestId: "slack-stale" });
    const body = formOf(buttonPayload("UBOB", "approve", button()));
    const seconds = Math.floor(clock.now().getTime() / 1000);

    const old = await post(body, { timestamp: String(seconds - 301) });
    const ahead = await post(body, { timestamp: String(seconds + 301) });
    const justInTime = await post(body, { timestamp: String(seconds - 300) });

    expect(old.status).toBe(401);
    expect(await old.json()).toEqual({
      error: "Not signed by Slack: x-slack-request-timestamp is more than five minutes from now",
    });
    expect(ahead.status).toBe(401);
    expect(justInTime.status).toBe(200);
    expect(detailTypes()).toEqual(APPROVED_BY_ONE);
  });

  it("answers 404 when Slack is not set up, whatever the request", async () => {
    const { press, detailTypes } = await setUp({ requestId: "slack-off", settings: {} });

    const response = await press("UBOB", "approve");

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "Slack is not set up" });
    expect(detailTypes()).toEqual([]);
  });

  it("refuses a body over 64 KiB (413) before reading it", async () => {
    const { post } = await setUp({ requestId: "slack-large" });

    const response = await post(`payload=${"x".repeat(64 * 1024)}`);

    expect(response.status).toBe(413);
  });

  it("refuses (400, naming payload) a signed body that is not Slack's form of a JSON object", async () => {
    const { post } = await setUp({ requestId: "slack-unreadable" });

    const answers = await Promise.all(
      ["", "payload=%7Bnot-json", `payload=${encodeURIComponent("[1]")}`].map(async (body) => {
        const response = await post(body);
        return { status: response.status, body: await response.json() };
      }),
    );

    expect(answers).toEqual([
      {
        status: 400,
        body: { error: "Request is invalid: payload is missing", fieldErrors: [expect.anything()] },
      },
      {
        status: 400,
        body: { error: "Request is invalid: payload is not valid JSON", fieldErrors: [expect.anything()] },
      },
      {
        status: 400,
        body: {
          error: "Request is invalid: payload must be a JSON object",
          fieldErrors: [{ field: "payload", message: "must be a JSON object" }],
        },
      },
    ]);
  });

  it("refuses (400, naming payload.channel) one of its buttons pressed nowhere it can answer", async () => {
    const { post, button, detailTypes } = await setUp({ requestId: "slack-no-channel" });
    const { channel: _, container: __, ...nowhere } = buttonPayload("UBOB", "approve", button());

    const response = await post(formOf(nowhere));

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      fieldErrors: [{ field: "payload.channel", message: "is missing: a button is pressed in a channel" }],
    });
    expect(detailTypes()).toEqual([]);
  });

  it("answers 200 and does nothing for interactions that are not its buttons or modal", async () => {
    const { post, detailTypes, slack } = await setUp({ requestId: "slack-other" });
    const linkButton = {
      ...buttonPayload("UBOB", "approve", ""),
      actions: [{ type: "button", action_id: "open-in-portal", block_id: "links", action_ts: "1.2" }],
    };
    // Another modal's button: in a view, with no channel.
    const { channel: _, ...inModal } = { ...linkButton, container: { type: "view", view_id: "V0OTHER" } };
    const submitted = submissionPayload("UBOB", "text", "");
    const otherModal = { ...submitted, view: { ...submitted.view, callback_id: "someone-else" } };

    const answers = await Promise.all(
      [{ type: "view_closed", user: { id: "UBOB" } }, linkButton, inModal, otherModal].map((payload) =>
        post(formOf(payload)),
      ),
    );

    expect(answers.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    expect(await Promise.all(answers.map((response) => response.text()))).toEqual(["", "", "", ""]);
    expect(detailTypes()).toEqual([]);
    expect(slack.ephemerals).toEqual([]);
    expect(slack.views).toEqual([]);
  });
});

describe("pressing Approve", () => {
  it("records the asked approver's vote as theirs, signed in, and publishes what it decides", async () => {
    const { press, detailTypes, bus, stored, slack } = await setUp({ requestId: "slack-approve" });

    const response = await press("UBOB", "approve");

    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
    expect(detailTypes()).toEqual(APPROVED_BY_ONE);
    expect(bus.published.find((event) => event.detailType === "RequestApproved")?.detail).toMatchObject({
      requestId: "slack-approve",
      approver: "bob@example.com",
    });
    expect(await stored()).toMatchObject({
      status: "DECIDED",
      decision: { action: "approve", approver: "bob@example.com", approverSubject: "sub-bob" },
    });
    expect(slack.ephemerals).toEqual([]);
  });

  it("decides nothing twice when the same signed request comes again, and says why", async () => {
    const { post, button, detailTypes, stored, slack } = await setUp({
      requestId: "slack-replay",
      quorum: 2,
    });
    const body = formOf(buttonPayload("UBOB", "approve", button()));

    const first = await post(body);
    const replay = await post(body);

    expect([first.status, replay.status]).toEqual([200, 200]);
    expect(detailTypes()).toEqual(["ApprovalVoteRecorded"]);
    expect(await stored()).toMatchObject({ status: "PENDING", voters: ["bob@example.com"] });
    expect(slack.ephemerals).toEqual([
      {
        channel: "DUBOB",
        user: "UBOB",
        text: "You have already approved this request. Each approver counts once. The request waits for the other approvers it needs.",
      },
    ]);
  });

  it("tells the requester, ephemerally, that they cannot decide their own request", async () => {
    const { press, detailTypes, stored, slack } = await setUp({
      requestId: "slack-own",
      approvers: ["bob@example.com", "ana@example.com"],
    });

    await press("UANA", "approve");

    expect(slack.ephemerals).toEqual([
      {
        channel: "DUANA",
        user: "UANA",
        text: "You cannot decide your own request. Another approver has to decide it.",
      },
    ]);
    expect(detailTypes()).toEqual([]);
    expect(await stored()).toMatchObject({ status: "PENDING", voters: [] });
  });

  it("tells whoever is not asked why nothing was decided: another approver, a stranger, an account without email", async () => {
    const { press, detailTypes, stored, slack } = await setUp({ requestId: "slack-strangers" });

    for (const user of ["UDEE", "UEVE", "UNOMAIL"]) await press(user, "approve");

    expect(slack.ephemerals.map(({ user, text }) => [user, text])).toEqual([
      ["UDEE", "No request awaits your decision here. It may not exist, or you are not among its approvers."],
      [
        "UEVE",
        "You are not an approver. No approver has the email address of your Slack account (eve@elsewhere.example), so nothing was decided.",
      ],
      [
        "UNOMAIL",
        "Your Slack account does not vouch for an email address. Only a member of this workspace with a confirmed email address decides from Slack, so nothing was decided. Decide on the Approvals page of the portal instead, signed in.",
      ],
    ]);
    expect(detailTypes()).toEqual([]);
    expect(await stored()).toMatchObject({ status: "PENDING", voters: [] });
  });

  it("refuses a button of an earlier stage or round, and one that is not ours", async () => {
    const { press, button, detailTypes, stored, slack } = await setUp({
      requestId: "slack-earlier",
      stage: { index: 1, name: "finance", count: 2 },
    });

    await press("UBOB", "approve", button({ stage: 0 }));
    await press("UBOB", "approve", button({ extension: 1 }));
    await press("UBOB", "approve", "not-a-button-of-ours");

    expect(slack.ephemerals.map(({ text }) => text)).toEqual([
      "This message is about an earlier stage. Nothing was decided: the request has moved on since. Other approvers decide it now.",
      "This message is about an earlier round. Nothing was decided: the approval it asked about is over, and a later one decides now.",
      "This button is not one of ours. Nothing was decided. Decide on the Approvals page of the portal instead.",
    ]);
    expect(detailTypes()).toEqual([]);
    expect(await stored()).toMatchObject({ status: "PENDING", voters: [] });
  });
});

describe("deciding from Slack by the rules of every other way", () => {
  const STAGE_ONE = { index: 1, name: "finance", count: 2 };

  it("refuses a click whose write lost to the vote completing its stage: the button's stage is judged on every read", async () => {
    // Cy's vote completed stage 0 and started stage 1, which asks Bob and Cy again; Bob's first read
    // still saw stage 0, as it was before, so his write, made on that, fails.
    let reads = 0;
    const { press, button, detailTypes, stored, slack } = await setUp({
      requestId: "slack-lost-race",
      stage: STAGE_ONE,
      record: {
        votes: [{ stage: 0, approver: "cy@example.com", decidedAt: "2026-03-01T09:59:00.000Z" }],
        voters: ["cy@example.com"],
        eventSeq: 3,
      },
      storeOf: (real) => ({
        ...real,
        get: async (requestId) => {
          const record = await real.get(requestId);
          reads += 1;
          if (reads > 1 || record?.status !== "PENDING") return record;
          return {
            ...record,
            stage: { index: 0, name: "approvers", count: 2 },
            votes: [],
            voters: [],
            eventSeq: 1,
          };
        },
      }),
    });

    await press("UBOB", "approve", button({ stage: 0 }));

    expect(reads).toBe(2);
    expect(slack.ephemerals.map(({ text }) => text)).toEqual([
      "This message is about an earlier stage. Nothing was decided: the request has moved on since. Other approvers decide it now.",
    ]);
    expect(detailTypes()).toEqual([]);
    expect(await stored()).toMatchObject({ stage: STAGE_ONE, voters: ["cy@example.com"] });
    expect((await stored()) as AskedApproval).toHaveProperty("votes", [
      expect.objectContaining({ stage: 0, approver: "cy@example.com" }),
    ]);
  });

  it("counts a delegate's approval on behalf of the approver they stand in for", async () => {
    const { press, bus, detailTypes, stored, slack } = await setUp({
      requestId: "slack-delegate",
      approvers: ["dee@example.com", "cy@example.com"],
      record: { delegates: { "dee@example.com": "bob@example.com" } },
    });

    await press("UDEE", "approve");

    expect(slack.ephemerals).toEqual([]);
    expect(detailTypes()).toEqual(APPROVED_BY_ONE);
    expect(bus.published.find((event) => event.detailType === "ApprovalVoteRecorded")?.detail).toMatchObject({
      approver: "dee@example.com",
      onBehalfOf: "bob@example.com",
    });
    expect(await stored()).toMatchObject({
      status: "DECIDED",
      votes: [{ approver: "dee@example.com", approverSubject: "sub-dee", onBehalfOf: "bob@example.com" }],
    });
  });

  it("refuses an approver removed from the approvers group since they were asked, and their delegate", async () => {
    const { press, detailTypes, stored, slack } = await setUp({
      requestId: "slack-removed",
      approvers: ["fay@example.com", "dee@example.com"],
      record: { delegates: { "dee@example.com": "fay@example.com" } },
    });

    await press("UFAY", "approve");
    await press("UFAY", "reject");
    await press("UDEE", "approve");

    expect(slack.views).toEqual([]);
    expect(slack.ephemerals.map(({ user, text }) => [user, text])).toEqual([
      [
        "UFAY",
        "You are no longer an approver. fay@example.com is not among this request's approvers any more, so nothing was decided. Another approver has to decide the request.",
      ],
      [
        "UFAY",
        "You are no longer an approver. fay@example.com is not among this request's approvers any more, so nothing was decided. Another approver has to decide the request.",
      ],
      [
        "UDEE",
        "You are no longer an approver. dee@example.com is not among this request's approvers any more, so nothing was decided. Another approver has to decide the request.",
      ],
    ]);
    expect(detailTypes()).toEqual([]);
    expect(await stored()).toMatchObject({ status: "PENDING", voters: [] });
  });

  it("reaches a quorum of two with two approvers' clicks, each counted once", async () => {
    const { press, bus, detailTypes, stored } = await setUp({ requestId: "slack-quorum", quorum: 2 });

    await press("UBOB", "approve");
    expect(await stored()).toMatchObject({ status: "PENDING", voters: ["bob@example.com"] });
    await press("UCY", "approve");

    expect(detailTypes()).toEqual([
      "ApprovalVoteRecorded",
      "ApprovalVoteRecorded",
      "ApprovalStageCompleted",
      "RequestApproved",
    ]);
    expect(bus.published.find((event) => event.detailType === "RequestApproved")?.detail).toMatchObject({
      approver: "cy@example.com",
      approvals: [
        { stage: 0, approver: "bob@example.com" },
        { stage: 0, approver: "cy@example.com" },
      ],
    });
    expect(await stored()).toMatchObject({
      status: "DECIDED",
      voters: ["bob@example.com", "cy@example.com"],
    });
  });

  it("approves an extension round with its round's button, deciding the extension", async () => {
    const extension = {
      n: 1,
      from: "2026-03-08T10:00:00.000Z",
      until: "2026-03-20T10:00:00.000Z",
      justification: "The load tests run longer",
    };
    const { press, button, bus, detailTypes, stored, slack } = await setUp({
      requestId: "slack-extension",
      record: {
        extension,
        rounds: [
          {
            status: "DECIDED",
            decision: {
              action: "approve",
              approver: "dee@example.com",
              decidedAt: "2026-03-01T09:00:00.000Z",
            },
            votes: [],
            expiresAt: "2026-03-01T11:00:00.000Z",
          },
        ],
      },
    });

    await press("UBOB", "approve", button());
    await press("UCY", "approve", button({ extension: undefined }));

    expect(slack.ephemerals.map(({ user, text }) => [user, text])).toEqual([
      [
        "UCY",
        "This message is about an earlier round. Nothing was decided: the approval it asked about is over, and a later one decides now.",
      ],
    ]);
    expect(detailTypes()).toEqual(["ApprovalVoteRecorded", "ApprovalStageCompleted", "ExtensionDecided"]);
    expect(bus.published.find((event) => event.detailType === "ExtensionDecided")?.detail).toMatchObject({
      requestId: "slack-extension",
      extension: { n: 1 },
      approved: true,
      decider: "bob@example.com",
    });
    expect(await stored()).toMatchObject({ status: "DECIDED", extension: { n: 1 } });
  });
});

describe("pressing Reject, then giving the reason", () => {
  it("opens the modal asking why, naming the approval the button was for, and records nothing yet", async () => {
    const { press, detailTypes, stored, slack } = await setUp({ requestId: "slack-reject-open" });

    const response = await press("UCY", "reject");

    expect(response.status).toBe(200);
    expect(slack.views).toHaveLength(1);
    const [{ triggerId, view } = { triggerId: "", view: undefined }] = slack.views;
    expect(triggerId).toBe("trigger-of-UCY");
    expect(view).toMatchObject({
      type: "modal",
      callback_id: REJECT_MODAL.callbackId,
      title: { text: "Reject request" },
      submit: { text: "Reject" },
      blocks: [
        {
          type: "input",
          block_id: REJECT_MODAL.reasonBlockId,
          element: { type: "plain_text_input", action_id: REJECT_MODAL.reasonActionId, multiline: true },
        },
      ],
    });
    expect(decodeButtonValue(view?.private_metadata ?? "")).toEqual({
      requestId: "slack-reject-open",
      stage: 0,
    });
    expect(slack.ephemerals).toEqual([]);
    expect(detailTypes()).toEqual([]);
    expect(await stored()).toMatchObject({ status: "PENDING", voters: [] });
  });

  it("opens no modal for someone who may not reject: they are told why instead", async () => {
    const { press, slack } = await setUp({ requestId: "slack-reject-stranger" });

    await press("UDEE", "reject");
    await press("UANA", "reject");

    expect(slack.views).toEqual([]);
    expect(slack.ephemerals.map(({ text }) => text)).toEqual([
      "No request awaits your decision here. It may not exist, or you are not among its approvers.",
      "You cannot decide your own request. Another approver has to decide it.",
    ]);
  });

  it("rejects with the reason given, closing the modal (200, empty)", async () => {
    const { submitReason, bus, detailTypes, stored } = await setUp({ requestId: "slack-reject" });

    const response = await submitReason("UCY", "Too big for a test box");

    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
    expect(detailTypes()).toEqual(["ApprovalVoteRecorded", "RequestRejected"]);
    expect(bus.published.find((event) => event.detailType === "RequestRejected")?.detail).toMatchObject({
      requestId: "slack-reject",
      approver: "cy@example.com",
      reason: "Too big for a test box",
    });
    expect(await stored()).toMatchObject({
      status: "DECIDED",
      decision: { action: "reject", approver: "cy@example.com", approverSubject: "sub-cy" },
    });
  });

  it("keeps the modal open with the problem by the reason: none given, or a refusal", async () => {
    const { submitReason, press, detailTypes } = await setUp({ requestId: "slack-reject-errors" });
    const errorsOf = async (response: Response) => {
      expect(response.status).toBe(200);
      return response.json();
    };

    const blank = await errorsOf(await submitReason("UCY", "   "));
    const empty = await errorsOf(await submitReason("UCY", null));
    await press("UBOB", "approve");
    const decided = await errorsOf(await submitReason("UCY", "Too big"));

    const sayWhy = "Say why you reject the request; the requester will read it.";
    expect(blank).toEqual({ response_action: "errors", errors: { reason: sayWhy } });
    expect(empty).toEqual({ response_action: "errors", errors: { reason: sayWhy } });
    expect(decided).toEqual({
      response_action: "errors",
      errors: {
        reason:
          "This request has already been decided. It was approved by bob@example.com. Each request is decided once.",
      },
    });
    expect(detailTypes()).toEqual(APPROVED_BY_ONE);
  });
});

describe("the wired decision app", () => {
  it("serves POST /slack/interactions beside the pages, and, with no Slack settings, says it is not set up", async () => {
    const { app } = await import("../http.ts");

    const response = await app.request("/slack/interactions", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "payload=%7B%7D",
    });

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "Slack is not set up" });
  });
});
