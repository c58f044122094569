import { describe, expect, it } from "vitest";
import {
  createDecisionToken,
  hashToken,
  MAX_TOKEN_LENGTH,
  type TokenClaims,
  verifyDecisionToken,
} from "./decision-token.ts";
import { TEST_KEY, withSegment } from "./testing/decision-tokens.ts";

const NOW = new Date("2026-03-01T10:00:00.000Z");
const CLAIMS: TokenClaims = {
  requestId: "req-42",
  action: "approve",
  approver: "bob@example.com",
  expiresAt: new Date("2026-03-04T10:00:00.000Z"),
};
const random = (size: number) => Buffer.alloc(size, 7);

const issue = (claims: Partial<TokenClaims> = {}) =>
  createDecisionToken({ ...CLAIMS, ...claims }, TEST_KEY, random);

const base64url = (text: string) => Buffer.from(text, "utf8").toString("base64url");

describe("decision tokens", () => {
  it("verifies a token it issued and yields its claims", () => {
    const token = issue();

    const check = verifyDecisionToken(token, "approve", TEST_KEY, NOW);

    expect(check).toEqual({ valid: true, claims: CLAIMS });
  });

  it("is URL-safe", () => {
    expect(issue()).toMatch(/^[A-Za-z0-9._-]+$/);
  });

  it("differs per nonce, so two links for the same claims are different tokens", () => {
    const first = createDecisionToken(CLAIMS, TEST_KEY, (size) => Buffer.alloc(size, 1));
    const second = createDecisionToken(CLAIMS, TEST_KEY, (size) => Buffer.alloc(size, 2));

    expect(first).not.toBe(second);
    expect(verifyDecisionToken(second, "approve", TEST_KEY, NOW).valid).toBe(true);
  });

  it("refuses an approve token presented as a reject: the action is signed", () => {
    expect(verifyDecisionToken(issue(), "reject", TEST_KEY, NOW)).toEqual({
      valid: false,
      problem: "forged",
    });
  });

  it("refuses a token signed with another key", () => {
    const otherKey = Buffer.from("another-key-for-tests-0123456789abcdef", "utf8");

    expect(verifyDecisionToken(issue(), "approve", otherKey, NOW)).toEqual({
      valid: false,
      problem: "forged",
    });
  });

  it.each([
    ["requestId", 1, "req-43"],
    ["approver", 2, base64url("mallory@example.com")],
    ["expiry", 3, String(Date.parse("2027-01-01T00:00:00Z") / 1000)],
    ["nonce", 4, Buffer.alloc(16, 9).toString("base64url")],
    ["signature", 5, Buffer.alloc(32, 1).toString("base64url")],
  ])("refuses a token whose %s was changed", (_field, index, value) => {
    const tampered = withSegment(issue(), index, value);

    expect(verifyDecisionToken(tampered, "approve", TEST_KEY, NOW)).toEqual({
      valid: false,
      problem: "forged",
    });
  });

  it("refuses a token whose signature has a non-canonical encoding of the same bytes", () => {
    const token = issue();
    const mac = token.split(".")[5] ?? "";
    // The last of 43 base64url characters carries 2 padding bits; flipping them keeps the bytes.
    const last = mac.at(-1) ?? "";
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sibling = alphabet[alphabet.indexOf(last) ^ 1] ?? "";
    const tampered = withSegment(token, 5, mac.slice(0, -1) + sibling);

    expect(tampered).not.toBe(token);
    expect(verifyDecisionToken(tampered, "approve", TEST_KEY, NOW)).toEqual({
      valid: false,
      problem: "malformed",
    });
  });

  it("refuses a token once its expiry has passed, and at the very second it expires", () => {
    const token = issue();

    expect(verifyDecisionToken(token, "approve", TEST_KEY, CLAIMS.expiresAt)).toEqual({
      valid: false,
      problem: "expired",
    });
    expect(verifyDecisionToken(token, "approve", TEST_KEY, new Date("2026-03-05T00:00:00Z"))).toEqual({
      valid: false,
      problem: "expired",
    });
  });

  it("reports a forged expired token as forged, not expired: nothing unsigned is trusted", () => {
    const forged = withSegment(issue(), 3, "1000");

    expect(verifyDecisionToken(forged, "approve", TEST_KEY, NOW)).toEqual({
      valid: false,
      problem: "forged",
    });
  });

  it.each([
    ["empty", ""],
    ["garbage", "not-a-token"],
    ["another version", withSegment(issue(), 0, "v2")],
    ["a missing segment", issue().split(".").slice(0, 5).join(".")],
    ["an extra segment", `${issue()}.extra`],
    ["a request id with a space", withSegment(issue(), 1, "req 42")],
    ["a non-numeric expiry", withSegment(issue(), 3, "soon")],
    ["a short signature", withSegment(issue(), 5, "abc")],
    ["a short nonce", withSegment(issue(), 4, "abc")],
    ["non-base64url characters", withSegment(issue(), 2, "bob@example.com")],
    ["an oversized token", "v1.".padEnd(MAX_TOKEN_LENGTH + 1, "a")],
  ])("refuses a malformed token: %s", (_case, token) => {
    expect(verifyDecisionToken(token, "approve", TEST_KEY, NOW)).toEqual({
      valid: false,
      problem: "malformed",
    });
  });

  it("hashes tokens to a fixed-size digest that differs per token", () => {
    const first = hashToken(issue());
    const second = hashToken(issue({ action: "reject" }));

    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first).not.toBe(second);
  });
});
