import { describe, expect, it } from "vitest";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestCancelled } from "../../events/request-cancelled.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { RequestRejected } from "../../events/request-rejected.ts";
import { envelopeOf, sampleRequest } from "../../test/support/fixtures.ts";
import { approversToAsk, closingEventSchema, closureOf, stageInWords, stillAsked } from "./approval-asks.ts";

const asked = (...emails: string[]) => emails.map((email) => ({ email }));

describe("the approvers a stage mails", () => {
  it("are the stage's approvers when the requester is not one of them", () => {
    expect(approversToAsk(asked("bob@example.com", "cy@example.com"), "ana@example.com")).toEqual(
      asked("bob@example.com", "cy@example.com"),
    );
  });

  it("never include the requester, whatever the case of either address", () => {
    expect(approversToAsk(asked("Ana@Example.com", "bob@example.com"), "ANA@example.COM")).toEqual(
      asked("bob@example.com"),
    );
  });

  it.each([
    ["a plus-addressed requester", "approver+me@example.com", "approver@example.com"],
    ["a requester with dots Gmail ignores", "a.p.p.r.o.v.e.r@gmail.com", "approver@gmail.com"],
    ["an approver plus-addressed", "approver@example.com", "Approver+Requests@example.com"],
  ])("never include the requester by another spelling of their address: %s", (_case, requester, approver) => {
    expect(approversToAsk(asked(approver, "bob@example.com"), requester)).toEqual(asked("bob@example.com"));
  });

  it("include an approver whose address differs from the requester's only by a dot outside Gmail", () => {
    expect(approversToAsk(asked("a.b@corp.example"), "ab@corp.example")).toEqual(asked("a.b@corp.example"));
  });

  it("are nobody when the requester is the only one", () => {
    expect(approversToAsk(asked("ana@example.com"), "Ana@example.com")).toEqual([]);
  });

  it("mail an approver listed twice once, and keep whom a delegate stands in for", () => {
    expect(
      approversToAsk(
        [{ email: "bob@example.com", onBehalfOf: "Dee@example.com" }, { email: "BOB@example.com" }],
        "ana@example.com",
      ),
    ).toEqual([{ email: "bob@example.com", onBehalfOf: "dee@example.com" }]);
  });
});

describe("a stage in words", () => {
  it("names its place, its name and the approvals it needs", () => {
    expect(stageInWords({ index: 0, name: "team leads", count: 2 }, 2)).toBe(
      "Stage 1 of 2: team leads — 2 approvals needed",
    );
    expect(stageInWords({ index: 1, name: "finance", count: 2 }, 1)).toBe(
      "Stage 2 of 2: finance — 1 approval needed",
    );
  });

  it("leaves out the place when the policy has one stage", () => {
    expect(stageInWords({ index: 0, name: "approvers", count: 1 }, 1)).toBe("approvers — 1 approval needed");
  });
});

describe("who hears how a request ended", () => {
  it("is everyone asked in any stage, once each, but those who voted", () => {
    expect(
      stillAsked(
        [
          ["bob@example.com", "cy@example.com", "dee@example.com"],
          ["cy@example.com", "eve@example.com"],
        ],
        ["BOB@example.com", "eve@example.com"],
      ),
    ).toEqual(["cy@example.com", "dee@example.com"]);
  });
});

describe("what a closure email says", () => {
  const request = sampleRequest({ requestId: "req-9" });
  const decidedAt = "2030-01-01T10:00:00.000Z";
  const closureOfEvent = (contract: Parameters<typeof envelopeOf>[0], detail: unknown) =>
    closureOf(closingEventSchema.parse(envelopeOf(contract, detail)));

  it("names every counted approval and leaves their givers out", () => {
    expect(
      closureOfEvent(RequestApproved, {
        requestId: "req-9",
        request,
        approver: "cy@example.com",
        approvals: [
          { stage: 0, approver: "bob@example.com", decidedAt },
          { stage: 1, approver: "cy@example.com", decidedAt },
        ],
        decidedAt,
      }),
    ).toEqual({
      ended: "was approved",
      outcome: "was approved by bob@example.com and cy@example.com",
      voted: ["cy@example.com", "bob@example.com", "cy@example.com"],
    });
  });

  it("names who rejected, and counts the approvals given before as votes", () => {
    expect(
      closureOfEvent(RequestRejected, {
        requestId: "req-9",
        request,
        approver: "cy@example.com",
        approvals: [{ stage: 0, approver: "bob@example.com", decidedAt }],
        reason: "not this quarter",
        decidedAt,
      }),
    ).toEqual({
      ended: "was rejected",
      outcome: "was rejected by cy@example.com",
      voted: ["cy@example.com", "bob@example.com"],
    });
  });

  it("says a request was withdrawn and by whom: those who approved already are not told", () => {
    expect(
      closureOfEvent(RequestCancelled, {
        requestId: "req-9",
        request,
        cancelledBy: "ana@example.com",
        reason: "Found a spare box",
        approvals: [{ stage: 0, approver: "bob@example.com", decidedAt }],
        cancelledAt: decidedAt,
      }),
    ).toEqual({
      ended: "was withdrawn",
      outcome: "was withdrawn by its requester, ana@example.com (Found a spare box)",
      voted: ["bob@example.com"],
    });
  });

  it("says a request expired, with nobody's vote known", () => {
    expect(
      closureOfEvent(RequestExpired, {
        requestId: "req-9",
        request,
        expiresAt: decidedAt,
        expiredAt: decidedAt,
      }),
    ).toEqual({ ended: "expired", outcome: "expired before enough approvers decided", voted: [] });
  });
});
