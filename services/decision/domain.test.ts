import { describe, expect, it } from "vitest";
import { sampleRequest } from "../../test/support/fixtures.ts";
import type { TokenClaims } from "../shared/decision-token.ts";
import {
  type AskedApproval,
  askedApprovalOf,
  checkReason,
  type EarlyDecision,
  grantsOf,
  judgeDecision,
  outcomeOf,
  settleEarlyDecision,
} from "./domain.ts";

const NOW = new Date("2026-03-01T10:00:00.000Z");
const CLAIMS: TokenClaims = {
  requestId: "req-1",
  action: "approve",
  approver: "bob@example.com",
  expiresAt: new Date("2026-03-02T10:00:00.000Z"),
};

const pending = (overrides: Partial<AskedApproval> = {}): AskedApproval => ({
  requestId: "req-1",
  request: sampleRequest(),
  requesterEmail: "ana@example.com",
  createdAt: "2026-03-01T09:00:00.000Z",
  status: "PENDING",
  approvers: ["bob@example.com"],
  grants: grantsOf({ "bob@example.com": { approve: ["hash-approve"], reject: ["hash-reject"] } }),
  expiresAt: "2026-03-02T10:00:00.000Z",
  ...overrides,
});

describe("judging a signed link against the stored approval", () => {
  it("lets a sent, unexpired link of a pending request decide", () => {
    const approval = pending();

    expect(judgeDecision(approval, CLAIMS, "hash-approve", NOW)).toEqual({ decidable: true, approval });
  });

  it("lets a verified link decide while its request's ApprovalRequested is still on its way", () => {
    expect(judgeDecision(undefined, CLAIMS, "hash-approve", NOW)).toEqual({ decidable: true });
  });

  it.each([
    ["a hash that was never sent", pending(), "hash-other"],
    ["the reject link's hash on the approve path", pending(), "hash-reject"],
  ])("calls the link not valid (403) for %s", (_case, record, hash) => {
    const judgement = judgeDecision(record, CLAIMS, hash, NOW);

    expect(judgement).toMatchObject({
      decidable: false,
      refusal: { status: 403, title: "This link is not valid" },
    });
  });

  it("refuses the requester deciding their own request", () => {
    const approval = pending({ requesterEmail: "bob@example.com" });

    expect(judgeDecision(approval, CLAIMS, "hash-approve", NOW)).toMatchObject({
      decidable: false,
      refusal: { status: 403, title: "You cannot decide your own request" },
    });
  });

  it("answers 410 with the earlier decision once the request is decided", () => {
    const approval = pending({
      status: "DECIDED",
      decision: { action: "reject", approver: "cy@example.com", reason: "No", decidedAt: NOW.toISOString() },
    });

    expect(judgeDecision(approval, CLAIMS, "hash-approve", NOW)).toMatchObject({
      decidable: false,
      refusal: { status: 410, message: expect.stringContaining("rejected by cy@example.com") },
    });
  });

  it("answers 410 with the early decision once one was made before ApprovalRequested arrived", () => {
    const early: EarlyDecision = {
      requestId: "req-1",
      createdAt: NOW.toISOString(),
      status: "DECIDED_EARLY",
      decision: {
        action: "approve",
        approver: "cy@example.com",
        decidedAt: NOW.toISOString(),
        tokenHash: "h",
      },
      expiresAt: "2026-03-02T10:00:00.000Z",
    };

    expect(judgeDecision(early, CLAIMS, "hash-approve", NOW)).toMatchObject({
      decidable: false,
      refusal: { status: 410, message: expect.stringContaining("approved by cy@example.com") },
    });
  });

  it("answers 410 once the deadline has passed, even before the sweeper marked it", () => {
    const judgement = judgeDecision(pending(), CLAIMS, "hash-approve", new Date("2026-03-02T10:00:00.000Z"));

    expect(judgement).toMatchObject({
      decidable: false,
      refusal: { status: 410, title: "This link has expired" },
    });
  });
});

describe("the reason given with a decision", () => {
  it("is optional for an approval", () => {
    expect(checkReason("approve", "   ")).toEqual({ valid: true, reason: undefined });
  });

  it("is required for a rejection", () => {
    expect(checkReason("reject", " \n ")).toMatchObject({ valid: false });
  });

  it("is trimmed", () => {
    expect(checkReason("reject", "  Too big  ")).toEqual({ valid: true, reason: "Too big" });
  });

  it("is at most 1,000 characters", () => {
    expect(checkReason("approve", "x".repeat(1001))).toMatchObject({ valid: false });
  });
});

describe("the event a settled approval owes", () => {
  it("is nothing while pending", () => {
    expect(outcomeOf(pending())).toBeUndefined();
  });

  it("is RequestApproved with the approver and the request", () => {
    const decidedAt = NOW.toISOString();
    const outcome = outcomeOf(
      pending({ status: "DECIDED", decision: { action: "approve", approver: "bob@example.com", decidedAt } }),
    );

    expect(outcome?.contract.detailType).toBe("RequestApproved");
    expect(outcome?.detail).toEqual({
      requestId: "req-1",
      request: sampleRequest(),
      approver: "bob@example.com",
      reason: undefined,
      decidedAt,
    });
  });

  it("is RequestExpired with the deadline and when it was marked", () => {
    const outcome = outcomeOf(pending({ status: "EXPIRED", expiredAt: "2026-03-02T10:00:30.000Z" }));

    expect(outcome?.contract.detailType).toBe("RequestExpired");
    expect(outcome?.detail).toMatchObject({
      expiresAt: "2026-03-02T10:00:00.000Z",
      expiredAt: "2026-03-02T10:00:30.000Z",
    });
  });
});

const REQUESTED = {
  requestId: "req-1",
  request: sampleRequest(),
  approvers: ["bob@example.com"],
  linkHashes: { "bob@example.com": { approve: ["hash-approve"], reject: ["hash-reject"] } },
  expiresAt: "2026-03-02T10:00:00.000Z",
  requestedAt: "2026-03-01T09:00:00.000Z",
};

describe("the approval an ApprovalRequested opens", () => {
  it("is pending until the deadline, grants exactly the announced links, and is due to expire then", () => {
    expect(askedApprovalOf(REQUESTED)).toEqual(
      pending({ sweepTask: "EXPIRE", sweepAt: REQUESTED.expiresAt }),
    );
  });
});

describe("settling an early decision when its ApprovalRequested arrives", () => {
  const early = (decision: Partial<EarlyDecision["decision"]> = {}): EarlyDecision => ({
    requestId: "req-1",
    createdAt: NOW.toISOString(),
    status: "DECIDED_EARLY",
    decision: {
      action: "approve",
      approver: "bob@example.com",
      reason: "Fine",
      decidedAt: NOW.toISOString(),
      tokenHash: "hash-approve",
      ...decision,
    },
    expiresAt: REQUESTED.expiresAt,
  });

  it("decides the approval with it, due to be published, when its link was announced for that approver and action", () => {
    const settled = settleEarlyDecision(early(), REQUESTED, NOW);

    expect(settled).toMatchObject({
      status: "DECIDED",
      request: sampleRequest(),
      decision: {
        action: "approve",
        approver: "bob@example.com",
        reason: "Fine",
        decidedAt: NOW.toISOString(),
      },
      sweepTask: "PUBLISH",
    });
    expect(settled.decision).not.toHaveProperty("tokenHash");
    expect(outcomeOf(settled)?.contract.detailType).toBe("RequestApproved");
  });

  it.each([
    ["a hash approval-mail never issued", { tokenHash: "hash-forged" }],
    ["the hash of the other action's link", { tokenHash: "hash-reject" }],
    ["another approver's decision", { approver: "cy@example.com" }],
    ["the requester's own decision", { approver: "ana@example.com" }],
    ["a decision at the deadline", { decidedAt: REQUESTED.expiresAt }],
  ])("voids it for %s, leaving the approval pending and due to expire", (_case, decision) => {
    const settled = settleEarlyDecision(early(decision), REQUESTED, NOW);

    expect(settled).toMatchObject({
      status: "PENDING",
      sweepTask: "EXPIRE",
      voidedDecision: early(decision).decision,
    });
    expect(settled).not.toHaveProperty("decision");
    expect(outcomeOf(settled)).toBeUndefined();
  });
});
