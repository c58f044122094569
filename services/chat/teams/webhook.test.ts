import { describe, expect, it } from "vitest";
import { sampleRequest } from "../../../test/support/fixtures.ts";
import { teamsCardOf } from "./cards.ts";
import { stageStarted } from "./testing/events.ts";
import { createTeamsWebhook, TeamsWebhookError } from "./webhook.ts";

/** A workflow URL as Teams issues it: its signature is the credential. */
const WEBHOOK_URL =
  "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SECRET-SIGNATURE";

const card = teamsCardOf(stageStarted(sampleRequest({ requestId: "hook-1" })), {
  publicUrl: "https://approvals.example.com",
});
if (!card) throw new Error("expected a card");

/** Teams answering each post with the next of `answers`; records the posts and the waits asked. */
const teamsAnswering = (...answers: (() => Response)[]) => {
  const posts: { url: string; init: RequestInit | undefined }[] = [];
  const waits: number[] = [];
  const post = createTeamsWebhook({
    fetch: async (input, init) => {
      posts.push({ url: String(input), init });
      const answer = answers[posts.length - 1];
      if (!answer) throw new Error(`Teams was posted to ${posts.length} times, more than the test expected`);
      return answer();
    },
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { post, posts, waits };
};

const accepted = () => new Response(null, { status: 202 });
const tooMany = (retryAfter?: string) =>
  new Response("Rate limit is exceeded", {
    status: 429,
    headers: retryAfter ? { "retry-after": retryAfter } : {},
  });

describe("posting a card to a Teams workflow's webhook", () => {
  it("posts the card as JSON, taking the workflow's 202 as posted", async () => {
    const teams = teamsAnswering(accepted);

    await expect(teams.post(WEBHOOK_URL, card)).resolves.toEqual({ status: 202 });

    expect(teams.posts).toHaveLength(1);
    expect(teams.posts[0]?.url).toBe(WEBHOOK_URL);
    expect(teams.posts[0]?.init).toMatchObject({
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    expect(JSON.parse(String(teams.posts[0]?.init?.body))).toEqual(card);
  });

  it("takes any 2xx as posted: a connector answers 200", async () => {
    const teams = teamsAnswering(() => new Response("1", { status: 200 }));

    await expect(teams.post(WEBHOOK_URL, card)).resolves.toEqual({ status: 200 });
  });

  it("waits out a short rate limit once, then posts again", async () => {
    const teams = teamsAnswering(() => tooMany("2"), accepted);

    await expect(teams.post(WEBHOOK_URL, card)).resolves.toEqual({ status: 202 });

    expect(teams.waits).toEqual([2000]);
    expect(teams.posts).toHaveLength(2);
  });

  it("throws when the rate limit holds after the wait, for the bus to retry later", async () => {
    const teams = teamsAnswering(
      () => tooMany("1"),
      () => tooMany("1"),
    );

    await expect(teams.post(WEBHOOK_URL, card)).rejects.toThrow(
      new TeamsWebhookError("Teams refused the card with HTTP 429: Rate limit is exceeded"),
    );
    expect(teams.posts).toHaveLength(2);
  });

  it.each([
    ["longer than five seconds", "30"],
    ["not given", undefined],
  ])("leaves a rate limit whose wait is %s to the bus's retries", async (_, retryAfter) => {
    const teams = teamsAnswering(() => tooMany(retryAfter));

    await expect(teams.post(WEBHOOK_URL, card)).rejects.toBeInstanceOf(TeamsWebhookError);
    expect(teams.waits).toEqual([]);
    expect(teams.posts).toHaveLength(1);
  });

  it("names the status and the start of Teams' answer when it refuses the card, never the webhook's URL", async () => {
    const teams = teamsAnswering(
      () =>
        new Response(`{"error":{"code":"InvalidRequestContent","message":"${"x".repeat(1000)}"}}`, {
          status: 400,
        }),
    );

    const failure = await teams.post(WEBHOOK_URL, card).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(TeamsWebhookError);
    const { message } = failure as TeamsWebhookError;
    expect(message).toMatch(
      /^Teams refused the card with HTTP 400: \{"error":\{"code":"InvalidRequestContent"/,
    );
    expect(message.length).toBeLessThan(400);
    expect(message).not.toContain("SECRET-SIGNATURE");
  });

  it("throws a TeamsWebhookError without the URL when Teams cannot be reached", async () => {
    const post = createTeamsWebhook({
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
      sleep: async () => {},
    });

    const failure = await post(WEBHOOK_URL, card).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(TeamsWebhookError);
    expect((failure as Error).message).toBe("Teams could not be reached: fetch failed");
  });
});
