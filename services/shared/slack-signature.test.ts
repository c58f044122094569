import { describe, expect, it } from "vitest";
import { MAX_REQUEST_AGE_SECONDS, signSlackRequest, verifySlackRequest } from "./slack-signature.ts";

const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5";
const now = new Date("2026-12-08T10:00:00Z");
const timestamp = String(now.getTime() / 1000);
const rawBody = "payload=%7B%22type%22%3A%22block_actions%22%7D";

const check = (overrides: Partial<Parameters<typeof verifySlackRequest>[0]>) =>
  verifySlackRequest({
    signingSecret,
    timestamp,
    signature: signSlackRequest(signingSecret, timestamp, rawBody),
    rawBody,
    now,
    ...overrides,
  });

describe("Slack's request signature", () => {
  it("is v0= and the hex HMAC-SHA256 of v0:<timestamp>:<body>, as Slack documents", () => {
    // Slack's worked example (api.slack.com/authentication/verifying-requests-from-slack).
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    expect(signSlackRequest(signingSecret, "1531420618", body)).toBe(
      "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    );
  });

  it("verifies a request signed with the secret, within five minutes", () => {
    expect(check({})).toEqual({ valid: true });
    expect(check({ now: new Date(now.getTime() + MAX_REQUEST_AGE_SECONDS * 1000) })).toEqual({ valid: true });
  });

  it("refuses a body that is not the one signed", () => {
    expect(check({ rawBody: `${rawBody}&x=1` })).toMatchObject({ valid: false, problem: /does not match/ });
  });

  it("refuses a signature made with another secret", () => {
    expect(check({ signature: signSlackRequest("another secret", timestamp, rawBody) })).toMatchObject({
      valid: false,
    });
  });

  it("refuses a request older than five minutes, or from more than five minutes ahead, as a replay", () => {
    const late = new Date(now.getTime() + (MAX_REQUEST_AGE_SECONDS + 1) * 1000);
    const early = new Date(now.getTime() - (MAX_REQUEST_AGE_SECONDS + 1) * 1000);
    expect(check({ now: late })).toMatchObject({ valid: false, problem: /five minutes/ });
    expect(check({ now: early })).toMatchObject({ valid: false, problem: /five minutes/ });
  });

  it("refuses a missing or malformed timestamp, and a missing or truncated signature", () => {
    expect(check({ timestamp: undefined })).toMatchObject({ valid: false, problem: /timestamp/ });
    expect(check({ timestamp: "soon" })).toMatchObject({ valid: false, problem: /timestamp/ });
    expect(check({ signature: undefined })).toMatchObject({ valid: false, problem: /missing/ });
    const signature = signSlackRequest(signingSecret, timestamp, rawBody);
    expect(check({ signature: signature.slice(0, -2) })).toMatchObject({ valid: false });
  });
});
