import "../../../test/support/service-environment.ts";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { type KnownBlock, WebAPIPlatformError } from "@slack/web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalEscalated } from "../../../events/approval-escalated.ts";
import { ApprovalStageCompleted } from "../../../events/approval-stage-completed.ts";
import { ApprovalStageStarted } from "../../../events/approval-stage-started.ts";
import { ApprovalVoteRecorded } from "../../../events/approval-vote-recorded.ts";
import type { EventContract } from "../../../events/contract.ts";
import { ExtensionDecided } from "../../../events/lease-events.ts";
import { RequestApproved } from "../../../events/request-approved.ts";
import { RequestExpired } from "../../../events/request-expired.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf, sampleRequest } from "../../../test/support/fixtures.ts";
import { testIdempotency } from "../../../test/support/idempotency.ts";
import type { ChatSettings } from "../../shared/chat-settings.ts";
import { type ApprovalMessageStore, createApprovalMessageStore } from "../approvers/store.ts";
import type { ChatSlack, SlackMessage } from "../slack.ts";
import { idempotencyTable, messagesTable } from "../tables.ts";
import { askingEventSchema, createSlackApproversAskHandler } from "./slack-approvers-ask.ts";
import { createSlackApproversUpdateHandler, updatingEventSchema } from "./slack-approvers-update.ts";

const STARTED_AT = "2026-03-01T10:00:00.000Z";
const VOTED_AT = "2026-03-01T14:02:00.000Z";
const EXPIRES_AT = "2026-03-04T10:00:00.000Z";
const SLACK_ON: ChatSettings = {
  slack: { botToken: "xoxb-test", signingSecret: "secret", approvalsChannel: "#approvals" },
};

let dynamo: TestDynamo;
let store: ApprovalMessageStore;

beforeAll(async () => {
  dynamo = await startTestDynamo([messagesTable, idempotencyTable]);
  store = createApprovalMessageStore(
    messagesTable.id,
    dynamo.document,
    testIdempotency(dynamo, idempotencyTable.id, "chat"),
  );
});
afterAll(() => dynamo.close());

/** Slack as the handlers see it: the workspace's users by email, and every message as it is now. */
const fakeSlack = (users: readonly string[]) => {
  const messages = new Map<string, SlackMessage>();
  const calls = { posts: 0, updates: 0 };
  /** Where a call fails once, as Slack's error: a user's id or a channel to post to, a channel to update in. */
  const failures = { postTo: undefined as string | undefined, updateIn: undefined as string | undefined };
  /** Where Slack refuses every post for good, with its code (a deactivated user: `user_disabled`). */
  const refusals = new Map<string, string>();
  const hooks = { afterPost: async (_channel: string) => {} };
  const userIds = new Map(users.map((email, index) => [email, `U0${index}`]));
  const slack: ChatSlack = {
    userIdByEmail: async (email) => userIds.get(email),
    post: async (to, message) => {
      const refused = refusals.get(to);
      if (refused) return { undeliverable: refused };
      if (to === failures.postTo) {
        failures.postTo = undefined;
        throw new WebAPIPlatformError({ ok: false, error: "internal_error" });
      }
      const channel = to.startsWith("U") ? `D${to.slice(1)}` : to === "#approvals" ? "C0APPROVALS" : to;
      const ts = `1772359200.${String(++calls.posts).padStart(6, "0")}`;
      messages.set(`${channel} ${ts}`, message);
      await hooks.afterPost(channel);
      return { channel, ts };
    },
    update: async (channel, ts, message) => {
      if (!messages.has(`${channel} ${ts}`)) return { undeliverable: "message_not_found" };
      if (channel === failures.updateIn) {
        failures.updateIn = undefined;
        throw new WebAPIPlatformError({ ok: false, error: "ratelimited" });
      }
      calls.updates++;
      messages.set(`${channel} ${ts}`, message);
      return undefined;
    },
  };
  /** The messages in a direct message with the user (by email), or in the approvals channel, as they are now. */
  const shownTo = (recipient: string) => {
    const channel = recipient === "#approvals" ? "C0APPROVALS" : `D${userIds.get(recipient)?.slice(1)}`;
    return [...messages].filter(([key]) => key.startsWith(`${channel} `)).map(([, message]) => message);
  };
  /** Deletes the message in a direct message with the user (by email), as its reader may. */
  const deleteFor = (recipient: string) => {
    const channel = `D${userIds.get(recipient)?.slice(1)}`;
    for (const key of messages.keys()) if (key.startsWith(`${channel} `)) messages.delete(key);
  };
  return { slack, calls, failures, refusals, hooks, shownTo, deleteFor };
};

const setUp = (users: readonly string[], settings: ChatSettings = SLACK_ON) => {
  const workspace = fakeSlack(users);
  const deps = {
    store,
    chatSettings: async () => settings,
    slackOf: () => workspace.slack,
    publicUrl: "http://localhost:3000",
    logger: silentLogger(),
  };
  const ask = createSlackApproversAskHandler(deps);
  const update = createSlackApproversUpdateHandler(deps);
  const deliver = (contract: EventContract, detail: unknown) => {
    const envelope = envelopeOf(contract, detail);
    return contract === ApprovalStageStarted || contract === ApprovalEscalated
      ? ask(askingEventSchema.parse(envelope))
      : update(updatingEventSchema.parse(envelope));
  };
  return { ...workspace, deliver };
};

const STAGE_NAMES = ["team leads", "ops"];

const stageStarted = (requestId: string, index: number, approvers: string[], quorum = 2) => ({
  requestId,
  request: sampleRequest({ requestId }),
  lease: { duration: "P7D", onEnd: "terminate", max: "P30D" },
  policy: { name: "default", hash: "0123456789ab" },
  stage: { index, name: STAGE_NAMES[index], count: 2 },
  approvers: approvers.map((email) => ({ email })),
  quorum,
  expiresAt: EXPIRES_AT,
  startedAt: STARTED_AT,
});

const voted = (
  requestId: string,
  approver: string,
  approvals: number,
  extra: Record<string, unknown> = {},
) => ({
  requestId,
  stage: { index: 0, name: STAGE_NAMES[0], count: 2 },
  approver,
  action: "approve",
  approvals,
  quorum: 2,
  votedAt: VOTED_AT,
  ...extra,
});

const texts = (message: SlackMessage | undefined): string =>
  (message?.blocks ?? [])
    .flatMap((block: KnownBlock) =>
      block.type === "section"
        ? [block.text?.text ?? "", ...(block.fields ?? []).map(({ text }) => text)]
        : block.type === "context"
          ? block.elements.map((element) => ("text" in element ? element.text : ""))
          : [],
    )
    .join("\n");

const hasButtons = (message: SlackMessage | undefined): boolean =>
  (message?.blocks ?? []).some((block) => block.type === "actions");

describe("chat asks approvers in Slack", () => {
  it("sends each approver of a stage one direct message with buttons, and posts once in the channel", async () => {
    const { deliver, shownTo, calls } = setUp(["bob@example.com", "cy@example.com", "ana@example.com"]);
    const started = stageStarted("slack-ask", 0, ["bob@example.com", "cy@example.com"]);

    await deliver(ApprovalStageStarted, started);
    await deliver(ApprovalStageStarted, started);

    expect(calls.posts).toBe(3);
    for (const recipient of ["bob@example.com", "cy@example.com", "#approvals"]) {
      const [message, ...more] = shownTo(recipient);
      expect(more).toEqual([]);
      expect(hasButtons(message)).toBe(true);
      expect(texts(message)).toContain("Stage 1 of 2: team leads — 2 approvals needed");
    }
    expect(shownTo("ana@example.com")).toEqual([]);
  });

  it("skips an approver who has no Slack account, and asks the others", async () => {
    const { deliver, shownTo } = setUp(["cy@example.com"]);

    await deliver(
      ApprovalStageStarted,
      stageStarted("slack-not-on-slack", 0, ["bob@example.com", "cy@example.com"]),
    );

    expect(shownTo("cy@example.com")).toHaveLength(1);
    expect(shownTo("#approvals")).toHaveLength(1);
  });

  it("does nothing when Slack is off", async () => {
    const { deliver, calls } = setUp(["bob@example.com"], {});

    await deliver(ApprovalStageStarted, stageStarted("slack-off", 0, ["bob@example.com"]));
    await deliver(ApprovalVoteRecorded, voted("slack-off", "bob@example.com", 1));

    expect(calls).toEqual({ posts: 0, updates: 0 });
    expect((await store.stateOf("slack-off")).stages.size).toBe(0);
  });

  it("asks the others when one approver's post fails, then throws naming them and Slack's code; the retry posts only theirs", async () => {
    const { deliver, shownTo, failures, calls } = setUp(["bob@example.com", "cy@example.com"]);
    const started = stageStarted("slack-down", 0, ["bob@example.com", "cy@example.com"]);
    failures.postTo = "U00";

    await expect(deliver(ApprovalStageStarted, started)).rejects.toThrow(
      "failed for bob@example.com (stage 0) (internal_error)",
    );
    expect(shownTo("cy@example.com")).toHaveLength(1);
    expect(shownTo("#approvals")).toHaveLength(1);
    await deliver(ApprovalStageStarted, started);

    expect(calls.posts).toBe(3);
    expect(shownTo("bob@example.com")).toHaveLength(1);
    expect(shownTo("cy@example.com")).toHaveLength(1);
  });

  it("skips an approver Slack refuses a message for good (a deactivated user), and does not try again", async () => {
    const { deliver, shownTo, refusals } = setUp(["bob@example.com", "cy@example.com"]);
    const started = stageStarted("slack-disabled", 0, ["bob@example.com", "cy@example.com"]);
    refusals.set("U00", "user_disabled");

    await deliver(ApprovalStageStarted, started);
    refusals.delete("U00");
    await deliver(ApprovalStageStarted, started);

    expect(shownTo("bob@example.com")).toEqual([]);
    expect(shownTo("cy@example.com")).toHaveLength(1);
  });

  it("asks the approvers an escalation added, as escalation, and posts nothing more in the channel", async () => {
    const { deliver, shownTo } = setUp(["bob@example.com", "op@example.com"]);
    await deliver(ApprovalStageStarted, stageStarted("slack-escalated", 0, ["bob@example.com"]));

    await deliver(ApprovalEscalated, {
      requestId: "slack-escalated",
      request: sampleRequest({ requestId: "slack-escalated" }),
      stage: { index: 0, name: "team leads", count: 2 },
      approvers: ["op@example.com"],
      quorum: 2,
      expiresAt: EXPIRES_AT,
      escalatedAt: "2026-03-02T10:00:00.000Z",
    });

    expect(texts(shownTo("op@example.com")[0])).toContain("You are asked as escalation");
    expect(shownTo("#approvals")).toHaveLength(1);
  });
});

describe("chat updates every approver's Slack message", () => {
  it("takes the voter's buttons off and shows the others the count", async () => {
    const { deliver, shownTo } = setUp(["bob@example.com", "cy@example.com"]);
    await deliver(ApprovalStageStarted, stageStarted("slack-vote", 0, ["bob@example.com", "cy@example.com"]));

    await deliver(ApprovalVoteRecorded, voted("slack-vote", "bob@example.com", 1));

    const [bob] = shownTo("bob@example.com");
    expect(hasButtons(bob)).toBe(false);
    expect(texts(bob)).toContain("You approved at Sun, 1 Mar 2026, 14:02 UTC — waiting for 1 more approval");
    for (const other of [shownTo("cy@example.com")[0], shownTo("#approvals")[0]]) {
      expect(hasButtons(other)).toBe(true);
      expect(texts(other)).toContain("bob@example.com approved (1 of 2)");
    }
  });

  it("shows everyone the outcome without buttons, however the request was decided", async () => {
    const { deliver, shownTo } = setUp(["bob@example.com", "cy@example.com"]);
    await deliver(
      ApprovalStageStarted,
      stageStarted("slack-closed", 0, ["bob@example.com", "cy@example.com"], 1),
    );

    // Decided from an emailed link: chat hears only the outcome.
    await deliver(RequestApproved, {
      requestId: "slack-closed",
      request: sampleRequest({ requestId: "slack-closed" }),
      approver: "cy@example.com",
      approvals: [{ stage: 0, approver: "cy@example.com", decidedAt: VOTED_AT }],
      decidedAt: VOTED_AT,
    });

    for (const recipient of ["bob@example.com", "cy@example.com", "#approvals"]) {
      const [message] = shownTo(recipient);
      expect(hasButtons(message)).toBe(false);
      expect(texts(message)).toContain("Approved by cy@example.com at Sun, 1 Mar 2026, 14:02 UTC");
    }
  });

  it("ends a stage's messages when the next stage starts, and asks that stage's approvers", async () => {
    const { deliver, shownTo } = setUp(["bob@example.com", "cy@example.com", "eve@example.com"]);
    await deliver(
      ApprovalStageStarted,
      stageStarted("slack-stages", 0, ["bob@example.com", "cy@example.com"], 1),
    );
    await deliver(ApprovalVoteRecorded, { ...voted("slack-stages", "bob@example.com", 1), quorum: 1 });
    await deliver(ApprovalStageCompleted, {
      requestId: "slack-stages",
      stage: { index: 0, name: "team leads", count: 2 },
      approvedBy: [{ email: "bob@example.com" }],
      completedAt: VOTED_AT,
    });

    await deliver(
      ApprovalStageStarted,
      stageStarted("slack-stages", 1, ["cy@example.com", "eve@example.com"], 1),
    );

    const [cyStage1, cyStage2] = shownTo("cy@example.com");
    expect(hasButtons(cyStage1)).toBe(false);
    expect(texts(cyStage1)).toContain(
      "Stage 1 (team leads) approved; now with Stage 2 of 2: ops — 1 approval needed",
    );
    expect(hasButtons(cyStage2)).toBe(true);
    expect(texts(cyStage2)).toContain("Stage 2 of 2: ops — 1 approval needed");
    expect(hasButtons(shownTo("eve@example.com")[0])).toBe(true);
    expect(shownTo("#approvals").map(hasButtons)).toEqual([false, true]);
  });

  it("posts nothing for an approval that ended before its ask was handled", async () => {
    const { deliver, calls } = setUp(["bob@example.com"]);
    await deliver(RequestExpired, {
      requestId: "slack-late-ask",
      request: sampleRequest({ requestId: "slack-late-ask" }),
      expiresAt: EXPIRES_AT,
      expiredAt: EXPIRES_AT,
    });

    await deliver(ApprovalStageStarted, stageStarted("slack-late-ask", 0, ["bob@example.com"]));

    expect(calls.posts).toBe(0);
  });

  it("brings a message posted while a vote was handled up to that vote", async () => {
    const { deliver, shownTo, hooks } = setUp(["bob@example.com"]);
    hooks.afterPost = async (channel) => {
      // Bob votes from his email while his Slack message is on its way, before chat recorded it.
      if (channel === "D00") await deliver(ApprovalVoteRecorded, voted("slack-race", "bob@example.com", 1));
    };

    await deliver(ApprovalStageStarted, stageStarted("slack-race", 0, ["bob@example.com"]));

    expect(hasButtons(shownTo("bob@example.com")[0])).toBe(false);
    expect(texts(shownTo("#approvals")[0])).toContain("bob@example.com approved (1 of 2)");
  });

  it("keeps an extension round's messages apart from the request's", async () => {
    const { deliver, shownTo } = setUp(["bob@example.com"]);
    const extension = {
      n: 1,
      from: EXPIRES_AT,
      until: "2026-03-11T10:00:00.000Z",
      justification: "Another week",
    };
    await deliver(ApprovalStageStarted, stageStarted("slack-round", 0, ["bob@example.com"], 1));
    await deliver(ApprovalStageStarted, {
      ...stageStarted("slack-round", 0, ["bob@example.com"], 1),
      extension,
    });

    await deliver(ExtensionDecided, {
      requestId: "slack-round",
      request: sampleRequest({ requestId: "slack-round" }),
      extension,
      approved: false,
      decider: "bob@example.com",
      reason: "Not this week",
      approvals: [],
      decidedAt: VOTED_AT,
    });

    const [request, round] = shownTo("bob@example.com");
    expect(hasButtons(request)).toBe(true);
    expect(hasButtons(round)).toBe(false);
    expect(texts(round)).toContain(
      "Rejected by bob@example.com at Sun, 1 Mar 2026, 14:02 UTC: Not this week",
    );
  });
});

describe("chat updating approvers' Slack messages when some fail", () => {
  it("updates the others when one message fails, then throws naming its recipient and Slack's code", async () => {
    const { deliver, shownTo, failures } = setUp(["bob@example.com", "cy@example.com"]);
    await deliver(
      ApprovalStageStarted,
      stageStarted("slack-update-down", 0, ["bob@example.com", "cy@example.com"]),
    );
    failures.updateIn = "D00";

    await expect(
      deliver(ApprovalVoteRecorded, voted("slack-update-down", "cy@example.com", 1)),
    ).rejects.toThrow("failed for bob@example.com (stage 0) (ratelimited)");

    expect(texts(shownTo("cy@example.com")[0])).toContain("You approved at");
    expect(texts(shownTo("#approvals")[0])).toContain("cy@example.com approved (1 of 2)");
    await deliver(ApprovalVoteRecorded, voted("slack-update-down", "cy@example.com", 1));
    expect(texts(shownTo("bob@example.com")[0])).toContain("cy@example.com approved (1 of 2)");
  });

  it("skips a message Slack can no longer update (its reader deleted it), and updates the others", async () => {
    const { deliver, shownTo, deleteFor } = setUp(["bob@example.com", "cy@example.com"]);
    await deliver(
      ApprovalStageStarted,
      stageStarted("slack-deleted", 0, ["bob@example.com", "cy@example.com"]),
    );
    deleteFor("bob@example.com");

    await deliver(ApprovalVoteRecorded, voted("slack-deleted", "cy@example.com", 1));

    expect(texts(shownTo("cy@example.com")[0])).toContain("You approved at");
    expect(texts(shownTo("#approvals")[0])).toContain("cy@example.com approved (1 of 2)");
  });
});

describe("the records of an approval's Slack messages", () => {
  /** Each item of the approval's partition, by its sort key, to its time to be deleted (epoch seconds). */
  const deleteAfterOf = async (approvalKey: string) => {
    const { Items = [] } = await dynamo.document.send(
      new QueryCommand({
        TableName: messagesTable.id,
        KeyConditionExpression: "approvalKey = :approvalKey",
        ExpressionAttributeValues: { ":approvalKey": approvalKey },
      }),
    );
    return Object.fromEntries(Items.map(({ item, deleteAfter }) => [item, deleteAfter]));
  };
  const NINETY_DAYS_AFTER_VOTE = Date.parse(VOTED_AT) / 1000 + 90 * 24 * 60 * 60;

  it("are kept while the approval is open, and all deleted 90 days after it closed, a vote told late too", async () => {
    const { deliver } = setUp(["bob@example.com", "cy@example.com"]);
    await deliver(ApprovalStageStarted, stageStarted("slack-ttl", 0, ["bob@example.com", "cy@example.com"]));
    expect(Object.values(await deleteAfterOf("slack-ttl"))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);

    await deliver(RequestApproved, {
      requestId: "slack-ttl",
      request: sampleRequest({ requestId: "slack-ttl" }),
      approver: "cy@example.com",
      approvals: [{ stage: 0, approver: "cy@example.com", decidedAt: VOTED_AT }],
      decidedAt: VOTED_AT,
    });
    await deliver(ApprovalVoteRecorded, voted("slack-ttl", "cy@example.com", 1));

    const items = await deleteAfterOf("slack-ttl");
    expect(Object.keys(items)).toEqual(
      expect.arrayContaining(["approval", "stage#0", "vote#0#cy@example.com", "message#0#channel"]),
    );
    for (const deleteAfter of Object.values(items)) expect(deleteAfter).toBe(NINETY_DAYS_AFTER_VOTE);
  });
});
