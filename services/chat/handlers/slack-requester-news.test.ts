import "../../../test/support/service-environment.ts";
import { IdempotencyAlreadyInProgressError } from "@aws-lambda-powertools/idempotency";
import { WebAPIPlatformError } from "@slack/web-api";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { RequestInvalid } from "../../../events/request-invalid.ts";
import { ResourceProvisioned } from "../../../events/resource-provisioned.ts";
import { localLambdaContext } from "../../../infra/local/lambda-context.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf } from "../../../test/support/fixtures.ts";
import { deliverTogetherThenRetryFailures, testIdempotency } from "../../../test/support/idempotency.ts";
import { delivered } from "../../notifier/testing/delivered.ts";
import { extensionDecided, releaseFailed } from "../../notifier/testing/lease-news.ts";
import type { ChatSettings } from "../../shared/chat-settings.ts";
import { createLocalDirectory } from "../../shared/directory.ts";
import { instanceProvisioned } from "../../shared/testing/provisioned.ts";
import { createNewsStore } from "../news/store.ts";
import { type SlackMessage, SlackRecipientsError } from "../slack.ts";
import { idempotencyTable, tables } from "../tables.ts";
import { createSlackRequesterNewsHandler, handler, type NewsSlack } from "./slack-requester-news.ts";

class SlackUnavailableError extends Error {
  override readonly name = "SlackUnavailableError";
}

const SLACK_ON: ChatSettings = { slack: { botToken: "xoxb-test", signingSecret: "signing-secret" } };

/** The workspace's members by address (as Slack's users.lookupByEmail finds them), and what was posted to them. */
const fakeSlack = (members: Record<string, string>) => {
  const lookedUp: string[] = [];
  const posted: { userId: string; message: SlackMessage }[] = [];
  let failuresLeft = 0;
  const slack: NewsSlack = {
    userIdByEmail: async (email) => {
      lookedUp.push(email);
      return members[email];
    },
    post: async (userId, message) => {
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new SlackUnavailableError("Slack answered 503");
      }
      posted.push({ userId, message });
      return { channel: `D${userId.slice(1)}`, ts: `1893492000.${String(posted.length).padStart(6, "0")}` };
    },
  };
  return {
    slack,
    lookedUp,
    posted,
    failNext: () => {
      failuresLeft = 1;
    },
  };
};

const provisioned = (requestId: string) => delivered(ResourceProvisioned, instanceProvisioned(requestId));

describe("chat telling the requester their news on Slack", () => {
  let dynamo: TestDynamo;
  beforeAll(async () => {
    dynamo = await startTestDynamo(tables);
  });
  afterAll(() => dynamo.close());

  const setUp = ({
    members = { "ana@example.com": "UANA", "olga@example.com": "UOLGA" },
    settings = SLACK_ON,
  }: {
    members?: Record<string, string>;
    settings?: ChatSettings;
  } = {}) => {
    const workspace = fakeSlack(members);
    const logger = silentLogger();
    const handle = createSlackRequesterNewsHandler({
      store: createNewsStore(testIdempotency(dynamo, idempotencyTable.id, "chat")),
      chatSettings: async () => settings,
      slackOf: () => workspace.slack,
      directory: createLocalDirectory([
        { email: "olga@example.com", groups: ["operators"] },
        // An operator without a Slack account: their email tells them.
        { email: "omar@example.com", groups: ["operators"] },
        // The requester of sampleRequest, an operator too: their own message says it all.
        { email: "Ana@example.com", groups: ["operators"] },
        { email: "bob@example.com", groups: ["approvers"] },
      ]),
      settings: { publicUrl: "https://approvals.example.com" },
      logger,
    });
    return { workspace, logger, handle };
  };

  it("messages the requester directly, as the Slack user their address belongs to", async () => {
    const { workspace, handle } = setUp();

    await handle(provisioned("dm-1"));

    expect(workspace.lookedUp).toEqual(["ana@example.com"]);
    expect(workspace.posted).toHaveLength(1);
    expect(workspace.posted[0]?.userId).toBe("UANA");
    expect(workspace.posted[0]?.message.text).toBe("Request dm-1: instance i-0123456789abcdef0 is running");
  });

  it("posts one message per event when the same event is delivered three times in a row", async () => {
    const { workspace, handle } = setUp();
    const event = provisioned("sequential");

    await handle(event);
    await handle(event);
    await handle(event);

    expect(workspace.posted).toHaveLength(1);
  });

  it("posts one message per event when the same event is delivered three times at once and retried", async () => {
    const { workspace, handle } = setUp();
    const event = provisioned("concurrent");

    const failures = await deliverTogetherThenRetryFailures(handle, [event, event, event]);

    // Each reader's failure comes inside the one error naming them all.
    const causes = failures.flatMap((failure) =>
      failure instanceof SlackRecipientsError ? failure.errors : [failure],
    );
    expect(causes.filter((cause) => !(cause instanceof IdempotencyAlreadyInProgressError))).toEqual([]);
    expect(workspace.posted).toHaveLength(1);
  });

  it("skips a requester without a Slack account, and says so in the log", async () => {
    const { workspace, logger, handle } = setUp({ members: {} });
    const logged = vi.spyOn(logger, "info");

    await handle(provisioned("not-on-slack"));

    expect(workspace.posted).toEqual([]);
    expect(logged).toHaveBeenCalledWith(
      "Requester: not a Slack user, not messaged",
      expect.objectContaining({ requestId: "not-on-slack", requester: "ana@example.com" }),
    );
  });

  it("throws when Slack fails, and posts the message on the retry", async () => {
    const { workspace, handle } = setUp();
    const event = provisioned("slack-down");
    workspace.failNext();

    await expect(handle(event)).rejects.toThrow("failed for the requester (SlackUnavailableError)");
    await handle(event);

    expect(workspace.posted).toHaveLength(1);
  });

  it("asks Slack nothing when Slack is not set up", async () => {
    const { workspace, handle } = setUp({ settings: {} });

    await handle(provisioned("slack-off"));

    expect(workspace.lookedUp).toEqual([]);
    expect(workspace.posted).toEqual([]);
  });

  it("tells nobody of an approved extension: the LeaseExtended after it tells the new end", async () => {
    const { workspace, handle } = setUp();

    await handle(extensionDecided("granted", { approved: true, decider: "bob@example.com" }));

    expect(workspace.lookedUp).toEqual([]);
  });

  it("messages nobody about an invalid request without a requester email", async () => {
    const { workspace, handle } = setUp();

    await handle(
      delivered(RequestInvalid, {
        requestId: "anonymous",
        errors: [{ field: "requester.email", message: "is required" }],
        sourceEventId: "evt-0",
        rejectedAt: "2030-01-01T10:00:00.000Z",
      }),
    );

    expect(workspace.lookedUp).toEqual([]);
  });

  it("tells a failed release to the requester and to each other operator on Slack, once each under redelivery", async () => {
    const { workspace, handle } = setUp();
    const event = releaseFailed("not-gone");

    await handle(event);
    await handle(event);
    await deliverTogetherThenRetryFailures(handle, [event, event]);

    expect(workspace.posted.map(({ userId }) => userId).sort()).toEqual(["UANA", "UOLGA"]);
    expect(workspace.posted.find(({ userId }) => userId === "UOLGA")?.message.text).toBe(
      "Release failed: instance i-0123456789abcdef0 of request not-gone",
    );
    // omar has no Slack account: looked up once, then his skip is remembered with the event.
    expect(workspace.lookedUp.filter((email) => email === "omar@example.com")).toEqual(["omar@example.com"]);
  });

  it("messages on the retry only the operators Slack refused, when it failed halfway", async () => {
    const { workspace, handle } = setUp();
    const event = releaseFailed("half-told");
    const post = workspace.slack.post;
    let refusals = 0;
    workspace.slack.post = async (userId, message) => {
      if (userId === "UOLGA" && refusals++ === 0) throw new SlackUnavailableError("Slack answered 503");
      return post(userId, message);
    };

    await expect(handle(event)).rejects.toThrow("failed for olga@example.com (SlackUnavailableError)");
    await handle(event);

    expect(workspace.posted.map(({ userId }) => userId).sort()).toEqual(["UANA", "UOLGA"]);
  });

  it("tells the operators though the requester's message fails, then throws naming each that failed and Slack's code", async () => {
    const { workspace, handle } = setUp({
      members: { "ana@example.com": "UANA", "olga@example.com": "UOLGA", "omar@example.com": "UOMAR" },
    });
    const post = workspace.slack.post;
    workspace.slack.post = async (userId, message) => {
      if (userId === "UANA" || userId === "UOMAR") {
        throw new WebAPIPlatformError({
          ok: false,
          error: userId === "UANA" ? "internal_error" : "fatal_error",
        });
      }
      return post(userId, message);
    };

    const failed = handle(releaseFailed("all-tried"));

    await expect(failed).rejects.toThrow(
      "failed for the requester (internal_error), omar@example.com (fatal_error)",
    );
    await expect(failed).rejects.toBeInstanceOf(SlackRecipientsError);
    expect(workspace.posted.map(({ userId }) => userId)).toEqual(["UOLGA"]);
  });

  it("skips an operator Slack refuses a message for good, and does not try them again", async () => {
    const { workspace, handle } = setUp();
    const event = releaseFailed("inactive");
    const post = workspace.slack.post;
    const tried: string[] = [];
    workspace.slack.post = async (userId, message) => {
      tried.push(userId);
      return userId === "UOLGA" ? { undeliverable: "account_inactive" } : post(userId, message);
    };

    await handle(event);
    await handle(event);

    expect(tried.sort()).toEqual(["UANA", "UOLGA"]);
    expect(workspace.posted.map(({ userId }) => userId)).toEqual(["UANA"]);
  });

  it("parses the bus's envelope in the deployed handler, refusing a detail that breaks its contract", async () => {
    const envelope = envelopeOf(ResourceProvisioned, provisioned("wired").detail, { id: "evt-wired" });
    const context = localLambdaContext("chat-slack-on-request-news", "us-east-1", "000000000000");
    // The bus hands the handler raw JSON: the middleware's parse is what types it.
    const invoke = handler as unknown as (event: unknown, context: Context) => Promise<unknown>;

    // No Slack settings in the tests' environment: Slack is off, and the handler does nothing.
    await expect(invoke(envelope, context)).resolves.toBeUndefined();
    await expect(invoke({ ...envelope, detail: { requestId: "wired" } }, context)).rejects.toMatchObject({
      name: "ParseError",
    });
  });
});
