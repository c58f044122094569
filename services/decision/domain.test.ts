import { describe, expect, it } from "vitest";
import type { AcceptedRequest } from "../../events/request.ts";
import { sampleRequest } from "../../test/support/fixtures.ts";
import type { TokenClaims } from "../shared/decision-token.ts";
import {
  type AskedApproval,
  askedApprovalOf,
  checkReason,
  type EarlyDecision,
  grantKey,
  grantsOf,
  isRequester,
  judgeDecision,
  judgeSignedInDecision,
  waitingForOf,
} from "./domain.ts";
import { confirmedAwaitingDecision, settleEarlyDecision } from "./early.ts";

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
  requesterCanonicalEmail: "ana@example.com",
  createdAt: "2026-03-01T09:00:00.000Z",
  status: "PENDING",
  approvers: ["bob@example.com"],
  grants: grantsOf({ "bob@example.com": { approve: ["hash-approve"], reject: ["hash-reject"] } }),
  expiresAt: "2026-03-02T10:00:00.000Z",
  stage: { index: 0, name: "approvers", count: 1 },
  quorum: 1,
  votes: [],
  voters: [],
  outbox: {},
  eventSeq: 0,
  ...overrides,
});

/** The approval opened for a request by `requester`, asking bob, as its ApprovalRequested stores it. */
const requestedBy = (requester: AcceptedRequest["requester"]): AskedApproval =>
  askedApprovalOf({
    requestId: "req-1",
    request: sampleRequest({ requester }),
    approvers: ["bob@example.com"],
    linkHashes: { "bob@example.com": { approve: ["hash-approve"], reject: ["hash-reject"] } },
    expiresAt: "2026-03-02T10:00:00.000Z",
    requestedAt: "2026-03-01T09:00:00.000Z",
  });

describe("who is the requester of an approval, by identity rather than by spelling", () => {
  it.each([
    ["their email in another case", "approver@example.com", "Approver@Example.com"],
    ["their plus-addressed email", "approver+me@example.com", "approver@example.com"],
    ["the plain email of a plus-addressed request", "approver@example.com", "Approver+Me@example.com"],
    ["their Gmail address with dots", "approver@gmail.com", "a.p.p.r.o.v.e.r@gmail.com"],
    [
      "their Gmail address without the dots it was asked with",
      "a.p.p.r.o.v.e.r@gmail.com",
      "approver@gmail.com",
    ],
  ])("is whoever decides with %s", (_case, requesterEmail, deciderEmail) => {
    expect(isRequester(requestedBy({ email: requesterEmail }), { email: deciderEmail })).toBe(true);
  });

  it("is whoever signs in as the requester's subject, whatever email their token holds", () => {
    const approval = requestedBy({ email: "ana@example.com", subject: "sub-ana" });

    expect(isRequester(approval, { email: "ana.lopez@corp.example", subject: "sub-ana" })).toBe(true);
  });

  it.each([
    ["a dotted address outside Gmail, which may be someone else", "ab@corp.example", "a.b@corp.example"],
    ["another mailbox", "approver@example.com", "approver2@example.com"],
    ["the same name at another domain", "approver@example.com", "approver@example.org"],
  ])("is not the approver deciding with %s", (_case, requesterEmail, deciderEmail) => {
    expect(isRequester(requestedBy({ email: requesterEmail }), { email: deciderEmail })).toBe(false);
  });

  it("is not an approver with another subject and another mailbox", () => {
    const approval = requestedBy({ email: "ana@example.com", subject: "sub-ana" });

    expect(isRequester(approval, { email: "bob@example.com", subject: "sub-bob" })).toBe(false);
  });

  it("is judged by the lower-cased email alone on an approval stored before subjects and canonical emails were kept", () => {
    const stored = {
      ...pending(),
      requesterEmail: "approver+me@example.com",
      requesterCanonicalEmail: undefined,
    };

    expect(isRequester(stored, { email: "Approver+Me@Example.com", subject: "sub-any" })).toBe(true);
    expect(isRequester(stored, { email: "bob@example.com", subject: "sub-bob" })).toBe(false);
  });
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

  it("refuses the requester deciding their own request, whichever spelling of their address they asked with", () => {
    const approval = requestedBy({ email: "Bob+Requests@Example.com" });

    expect(judgeDecision(approval, CLAIMS, "hash-approve", NOW)).toMatchObject({
      decidable: false,
      refusal: { status: 403, title: "You cannot decide your own request" },
    });
  });

  it("refuses the requester using an approver's link signed in as themselves (the same subject)", () => {
    const approval = requestedBy({ email: "ana@example.com", subject: "sub-ana" });

    expect(judgeDecision(approval, CLAIMS, "hash-approve", NOW, "sub-ana")).toMatchObject({
      decidable: false,
      refusal: { status: 403, title: "You cannot decide your own request" },
    });
    expect(judgeDecision(approval, CLAIMS, "hash-approve", NOW, "sub-bob")).toMatchObject({
      decidable: true,
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
      refusal: { status: 410, title: "This request has expired" },
    });
  });
});

describe("judging a signed-in approver's decision against the stored approval", () => {
  const BOB = { email: "bob@example.com", subject: "sub-bob" };

  it("lets an approver the request was sent to decide it while it is pending", () => {
    const approval = pending();

    expect(judgeSignedInDecision(approval, BOB, NOW)).toEqual({ decidable: true, approval });
  });

  it("finds the approver whatever the case of the token's email", () => {
    const approval = pending();

    expect(judgeSignedInDecision(approval, { ...BOB, email: "Bob@Example.COM" }, NOW)).toEqual({
      decidable: true,
      approval,
    });
  });

  it.each([
    ["an approver the request was not sent to", pending(), { email: "cy@example.com", subject: "sub-cy" }],
    ["a request decision has not heard of", undefined, BOB],
  ])("answers 404 for %s, as for a request that does not exist", (_case, record, approver) => {
    expect(judgeSignedInDecision(record, approver, NOW)).toMatchObject({
      decidable: false,
      refusal: { status: 404, title: "No request awaits your decision here" },
    });
  });

  it("refuses the requester (403), whatever the case of their email", () => {
    const approval = requestedBy({ email: "bob@example.com" });

    expect(judgeSignedInDecision(approval, { ...BOB, email: "BOB@example.com" }, NOW)).toMatchObject({
      decidable: false,
      refusal: { status: 403, title: "You cannot decide your own request" },
    });
  });

  it("refuses the requester (403) signed in with another email, by the subject they asked with", () => {
    const approval = requestedBy({ email: "robert@example.com", subject: BOB.subject });

    expect(judgeSignedInDecision(approval, BOB, NOW)).toMatchObject({
      decidable: false,
      refusal: { status: 403, title: "You cannot decide your own request" },
    });
  });

  it("refuses a decided request with the earlier decision, in the link pages' words", () => {
    const approval = pending({
      status: "DECIDED",
      decision: { action: "approve", approver: "cy@example.com", decidedAt: NOW.toISOString() },
    });

    expect(judgeSignedInDecision(approval, BOB, NOW)).toMatchObject({
      decidable: false,
      refusal: {
        title: "This request has already been decided",
        message: expect.stringContaining("approved by cy@example.com"),
      },
    });
  });

  it("refuses once the deadline has passed, even before the sweeper marked it", () => {
    const judgement = judgeSignedInDecision(pending(), BOB, new Date("2026-03-02T10:00:00.000Z"));

    expect(judgement).toMatchObject({ decidable: false, refusal: { title: "This request has expired" } });
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

  it("keeps a form's CRLF line breaks as newlines", () => {
    expect(checkReason("reject", "Too big.\r\nAsk for a t3.small")).toEqual({
      valid: true,
      reason: "Too big.\nAsk for a t3.small",
    });
  });

  it("refuses any other control character, which could forge a line of the requester's email", () => {
    expect(checkReason("reject", "Too big.\rApproved after all")).toEqual({
      valid: false,
      error: "The reason must not contain control characters other than newline and tab.",
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

  it("keeps who the requester is for the decision's condition: email lower-cased and canonical, and subject", () => {
    const approval = requestedBy({ email: "Ana.Lopez+cloud@Example.com", subject: "sub-Ana" });

    expect(approval).toMatchObject({
      requesterEmail: "ana.lopez+cloud@example.com",
      requesterCanonicalEmail: "ana.lopez@example.com",
      requesterSubject: "sub-Ana",
    });
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
    expect(Object.values(settled.outbox).map((entry) => "detailType" in entry && entry.detailType)).toEqual([
      "ApprovalVoteRecorded",
      "ApprovalStageCompleted",
      "RequestApproved",
    ]);
  });

  it.each([
    ["a link this event does not announce", { tokenHash: "hash-fresh" }],
    ["the hash of the other action's link", { tokenHash: "hash-reject" }],
  ])("keeps an approver's decision waiting for %s, the approval pending meanwhile", (_case, decision) => {
    const settled = settleEarlyDecision(early(decision), REQUESTED, NOW);

    expect(settled).toMatchObject({
      status: "PENDING",
      sweepTask: "EXPIRE",
      awaitingDecision: early(decision).decision,
    });
    expect(confirmedAwaitingDecision(settled)).toBeUndefined();
    expect(settled.outbox).toEqual({});
    // A later announcement of that very link confirms it.
    const announced = {
      ...settled,
      grants: new Set([
        ...(settled.grants ?? []),
        grantKey("bob@example.com", "approve", decision.tokenHash),
      ]),
    };
    expect(confirmedAwaitingDecision(announced)).toEqual(early(decision).decision);
  });

  it.each([
    ["someone approval-mail did not ask", { approver: "dee@example.com", tokenHash: "hash-fresh" }],
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
    expect(settled.outbox).toEqual({});
  });

  it.each<readonly [string, AcceptedRequest["requester"]]>([
    ["by another spelling of their address", { email: "Bob+Requests@Example.com" }],
    ["by the subject they asked with", { email: "ana@example.com", subject: "sub-bob" }],
  ])("voids an asked approver's announced link when they are the requester %s", (_case, requester) => {
    const requested = { ...REQUESTED, request: sampleRequest({ requester }) };
    const signedInAsBob = early({ approverSubject: "sub-bob" });

    expect(settleEarlyDecision(signedInAsBob, requested, NOW)).toMatchObject({
      status: "PENDING",
      voidedDecision: signedInAsBob.decision,
    });
  });
});

describe("what a pending approval still waits for", () => {
  const vote = (stage: number, approver: string) => ({ stage, approver, decidedAt: NOW.toISOString() });

  it("counts only the current stage's approvals against its quorum", () => {
    const approval = pending({
      stage: { index: 1, name: "finance", count: 2 },
      quorum: 2,
      votes: [vote(0, "carol@example.com"), vote(1, "bob@example.com")],
    });
    expect(waitingForOf(approval)).toBe("The request now waits for 1 more approval from finance.");
  });

  it("says approvals, plural, when more than one is missing", () => {
    expect(waitingForOf(pending({ quorum: 3, votes: [vote(0, "bob@example.com")] }))).toBe(
      "The request now waits for 2 more approvals from approvers.",
    );
  });
});
