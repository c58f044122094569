import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { slackClientOf } from "../shared/slack-client.ts";
import { chatSlackOf, SlackAnswerError, slackErrorCodeOf } from "./slack.ts";

/**
 * A Web API that answers each method as Slack does (HTTP 200, `ok` true or false with an error code):
 * the adapter is tested over the real @slack/web-api client, as the handlers use it.
 */
const ANSWERS: Record<string, unknown> = {
  "users.lookupByEmail": { ok: true, user: { id: "UANA" } },
  "chat.postMessage": { ok: true, channel: "DANA", ts: "1893492000.000100" },
  "chat.update": { ok: true, channel: "DANA", ts: "1893492000.000100" },
};
let answers = { ...ANSWERS };
/** HTTP failures to answer before the JSON ones, in turn: a status and its headers. */
let failures: { status: number; headers?: Record<string, string> }[] = [];
const calls: { method: string; body: URLSearchParams }[] = [];

let server: Server;
let apiUrl: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      const method = (request.url ?? "").replace(/^\/api\//, "");
      calls.push({ method, body: new URLSearchParams(body) });
      const failure = failures.shift();
      if (failure) {
        response.writeHead(failure.status, failure.headers).end();
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(answers[method] ?? { ok: false, error: "unknown_method" }));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  answers = { ...ANSWERS };
  failures = [];
  calls.length = 0;
});

const slack = () => chatSlackOf(slackClientOf({ botToken: "xoxb-test", signingSecret: "s", apiUrl }));

describe("chat's Slack over the Web API", () => {
  it("finds the Slack user of an address", async () => {
    await expect(slack().userIdByEmail("ana@example.com")).resolves.toBe("UANA");
    expect(calls.at(-1)?.body.get("email")).toBe("ana@example.com");
  });

  it("takes users_not_found as an address without a Slack account", async () => {
    answers["users.lookupByEmail"] = { ok: false, error: "users_not_found" };

    await expect(slack().userIdByEmail("nobody@example.com")).resolves.toBeUndefined();
  });

  it.each([
    ["a deactivated user", { id: "UOLD", deleted: true }],
    ["a bot", { id: "UBOT", is_bot: true }],
  ])("takes %s as nobody on Slack to message", async (_, user) => {
    answers["users.lookupByEmail"] = { ok: true, user };

    await expect(slack().userIdByEmail("old@example.com")).resolves.toBeUndefined();
  });

  it.each(["not_in_channel", "channel_not_found", "is_archived", "user_disabled", "account_inactive"])(
    "answers a post Slack refuses for good (%s) as undeliverable, not to be retried",
    async (error) => {
      answers["chat.postMessage"] = { ok: false, error };

      await expect(slack().post("C0GONE", { text: "t", blocks: [] })).resolves.toEqual({
        undeliverable: error,
      });
    },
  );

  it.each([
    "message_not_found",
    "channel_not_found",
    "is_archived",
    "cant_update_message",
    "msg_too_long",
    "invalid_blocks",
  ])("answers an update Slack refuses for good (%s) as undeliverable, not to be retried", async (error) => {
    answers["chat.update"] = { ok: false, error };

    await expect(slack().update("DANA", "1893492000.000100", { text: "t", blocks: [] })).resolves.toEqual({
      undeliverable: error,
    });
  });

  it("throws a post's or an update's other errors, for the bus to retry", async () => {
    answers["chat.postMessage"] = { ok: false, error: "internal_error" };
    answers["chat.update"] = { ok: false, error: "internal_error" };

    await expect(slack().post("UANA", { text: "t", blocks: [] })).rejects.toThrow(/internal_error/);
    await expect(slack().update("DANA", "1", { text: "t", blocks: [] })).rejects.toThrow(/internal_error/);
  });

  it("throws any other error of Slack's, for the bus to retry", async () => {
    answers["users.lookupByEmail"] = { ok: false, error: "invalid_auth" };

    await expect(slack().userIdByEmail("ana@example.com")).rejects.toThrow(/invalid_auth/);
  });

  it("posts to the user's id, which opens their direct messages with the app, with text and blocks", async () => {
    const posted = await slack().post("UANA", {
      text: "Request r1 was approved",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "Approved" } }],
    });

    expect(posted).toEqual({ channel: "DANA", ts: "1893492000.000100" });
    const { method, body } = calls.at(-1) ?? {};
    expect(method).toBe("chat.postMessage");
    expect(body?.get("channel")).toBe("UANA");
    expect(body?.get("text")).toBe("Request r1 was approved");
    expect(JSON.parse(body?.get("blocks") ?? "[]")).toEqual([
      { type: "section", text: { type: "mrkdwn", text: "Approved" } },
    ]);
  });

  it("takes a post answered without its channel and ts as an error, not as posted", async () => {
    answers["chat.postMessage"] = { ok: true };

    await expect(slack().post("UANA", { text: "t", blocks: [] })).rejects.toThrow(SlackAnswerError);
  });

  it("updates the message at its channel and ts with the new text and blocks", async () => {
    await slack().update("DANA", "1893492000.000100", {
      text: "Approved by Ana",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "Approved by Ana" } }],
    });

    const { method, body } = calls.at(-1) ?? {};
    expect(method).toBe("chat.update");
    expect(body?.get("channel")).toBe("DANA");
    expect(body?.get("ts")).toBe("1893492000.000100");
    expect(body?.get("text")).toBe("Approved by Ana");
  });

  it("waits out a rate limit (429 with Retry-After) and tries the call again", async () => {
    failures = [{ status: 429, headers: { "retry-after": "0" } }];

    await expect(slack().post("UANA", { text: "t", blocks: [] })).resolves.toEqual({
      channel: "DANA",
      ts: "1893492000.000100",
    });
    expect(calls.map(({ method }) => method)).toEqual(["chat.postMessage", "chat.postMessage"]);
  });

  it("does not post again after a server error, which may come after Slack took the post: the bus retries", async () => {
    failures = [{ status: 503 }];

    await expect(slack().post("UANA", { text: "t", blocks: [] })).rejects.toThrow(/503/);
    expect(calls.map(({ method }) => method)).toEqual(["chat.postMessage"]);
  });

  it("names an HTTP failure by its status, so the dead letter says what Slack answered", async () => {
    failures = [{ status: 503 }];

    const error = await slack()
      .post("UANA", { text: "t", blocks: [] })
      .catch((thrown: unknown) => thrown);
    expect(slackErrorCodeOf(error)).toBe("slack_webapi_http_error: HTTP 503");
  });
});
