import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { slackApiOf } from "./web-api.ts";

/** Bob as users.info shows a confirmed member of the app's workspace. */
const BOB = {
  id: "UBOB",
  team_id: "T0OURS",
  deleted: false,
  is_bot: false,
  is_stranger: false,
  is_email_confirmed: true,
  profile: { email: "bob@example.com" },
};

/**
 * A Web API that answers as Slack does (HTTP 200, `ok` true or false with an error code), or with a
 * status of its own: the adapter is tested over the real @slack/web-api client, with decision's options.
 */
const ANSWERS: Record<string, unknown> = {
  "auth.test": { ok: true, team_id: "T0OURS", user_id: "UBOT", bot_id: "BBOT" },
  "users.info": { ok: true, user: BOB },
};
let answers = { ...ANSWERS };
/** A method answered with an HTTP status of its own (and headers), or never answered. */
let failing: { method: string; status?: number; headers?: Record<string, string> } | undefined;
const calls: string[] = [];

let server: Server;
let apiUrl: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const method = (request.url ?? "").replace(/^\/api\//, "");
      calls.push(method);
      if (method === failing?.method) {
        if (failing.status) response.writeHead(failing.status, failing.headers).end();
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
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

/** A bot token of its own per test, so each has its own client and asks auth.test afresh. */
let token = 0;
let slack: ReturnType<typeof slackApiOf>;
beforeEach(() => {
  answers = { ...ANSWERS };
  failing = undefined;
  calls.length = 0;
  token += 1;
  slack = slackApiOf({ botToken: `xoxb-${token}`, signingSecret: "s", apiUrl });
});

describe("who clicked: the email a Slack user vouches for", () => {
  it("is the profile's email of a confirmed member of the app's workspace, whose workspace is asked once", async () => {
    expect(await slack.userEmail("UBOB")).toBe("bob@example.com");
    expect(await slack.userEmail("UBOB")).toBe("bob@example.com");

    expect(calls.filter((method) => method === "auth.test")).toEqual(["auth.test"]);
  });

  it.each([
    ["a deleted account", { deleted: true }],
    ["a bot", { is_bot: true }],
    ["a Slack Connect stranger", { is_stranger: true }],
    ["a member of another workspace", { team_id: "T0THEIRS" }],
    ["an address not confirmed", { is_email_confirmed: false }],
    ["an account Slack says nothing of confirming", { is_email_confirmed: undefined }],
    ["an account without email", { profile: {} }],
  ])("is none for %s", async (_, change) => {
    answers["users.info"] = { ok: true, user: { ...BOB, ...change } };

    expect(await slack.userEmail("UBOB")).toBeUndefined();
  });

  it.each(["user_not_found", "user_not_visible"])("is none when users.info answers %s", async (error) => {
    answers["users.info"] = { ok: false, error };

    expect(await slack.userEmail("UGONE")).toBeUndefined();
  });

  it("throws any other refusal of Slack's", async () => {
    answers["users.info"] = { ok: false, error: "invalid_auth" };

    await expect(slack.userEmail("UBOB")).rejects.toMatchObject({ data: { error: "invalid_auth" } });
  });

  it("asks auth.test again after it failed", async () => {
    failing = { method: "auth.test", status: 500 };
    await expect(slack.userEmail("UBOB")).rejects.toThrow();

    failing = undefined;
    expect(await slack.userEmail("UBOB")).toBe("bob@example.com");
    expect(calls.filter((method) => method === "auth.test")).toEqual(["auth.test", "auth.test"]);
  });
});

describe("within Slack's 3 seconds for an interaction", () => {
  it("a rate-limited call throws at once, neither waiting out Retry-After nor trying again", async () => {
    failing = { method: "users.info", status: 429, headers: { "retry-after": "30" } };

    await expect(slack.userEmail("UBOB")).rejects.toMatchObject({ code: "slack_webapi_rate_limited_error" });
    expect(calls.filter((method) => method === "users.info")).toEqual(["users.info"]);
  });

  it("a call Slack does not answer fails after 2.5 seconds, leaving time to say so", async () => {
    failing = { method: "views.open" };
    const started = Date.now();

    await expect(
      slack.openView("trigger", { type: "modal", title: { type: "plain_text", text: "x" }, blocks: [] }),
    ).rejects.toThrow();

    expect(Date.now() - started).toBeGreaterThanOrEqual(2_400);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(calls.filter((method) => method === "views.open")).toEqual(["views.open"]);
  });
});
