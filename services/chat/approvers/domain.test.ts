import { describe, expect, it } from "vitest";
import type { EventContract } from "../../../events/contract.ts";
import { ExtensionDecided } from "../../../events/lease-events.ts";
import { RequestApproved } from "../../../events/request-approved.ts";
import { RequestCancelled } from "../../../events/request-cancelled.ts";
import { RequestExpired } from "../../../events/request-expired.ts";
import { RequestRejected } from "../../../events/request-rejected.ts";
import { envelopeOf, sampleRequest } from "../../../test/support/fixtures.ts";
import { closingEventSchema } from "../../shared/approval-asks.ts";
import { closureOfEvent, draftsOf, messageStatus, stillAsks } from "./domain.ts";
import type { ApprovalState, StageFacts, Vote } from "./store.ts";

const request = sampleRequest({ requestId: "req-7" });

const stageFacts = (index: number, count = 2, quorum = 2): StageFacts => ({
  stage: { index, name: index === 0 ? "team leads" : "ops", count },
  quorum,
  expiresAt: "2026-03-04T10:00:00.000Z",
});

const vote = (approver: string, overrides: Partial<Vote> = {}): Vote => ({
  stage: 0,
  approver,
  action: "approve",
  approvals: 1,
  quorum: 2,
  votedAt: "2026-03-01T14:02:00.000Z",
  ...overrides,
});

const stateWith = (overrides: Partial<ApprovalState> = {}): ApprovalState => ({
  approvalKey: "req-7",
  approval: { requestId: "req-7", request },
  stages: new Map([[0, stageFacts(0)]]),
  votes: [],
  messages: [],
  kept: [],
  ...overrides,
});

const closed = (contract: EventContract, detail: Record<string, unknown>) =>
  closureOfEvent(closingEventSchema.parse(envelopeOf(contract, { requestId: "req-7", request, ...detail })));

const AT = "2026-03-01T14:02:00.000Z";

describe("who is asked in Slack", () => {
  it("drafts one message per approver, never the requester, each once, and one in the approvals channel", () => {
    const drafts = draftsOf(
      0,
      [
        { email: "Bob@example.com" },
        { email: "ana@example.com" },
        { email: "bob@example.com" },
        { email: "cy@example.com", onBehalfOf: "Dee@example.com" },
      ],
      "ana@example.com",
      { escalation: false, approvalsChannel: "#approvals" },
    );

    expect(drafts).toEqual([
      { stage: 0, recipient: "bob@example.com" },
      { stage: 0, recipient: "cy@example.com", onBehalfOf: "dee@example.com" },
      { stage: 0, recipient: "channel" },
    ]);
  });

  it("asks an escalation's approvers as escalation, and posts nothing more in the channel", () => {
    expect(
      draftsOf(1, [{ email: "op@example.com" }], "ana@example.com", {
        escalation: true,
        approvalsChannel: "#approvals",
      }),
    ).toEqual([{ stage: 1, recipient: "op@example.com", escalation: true }]);
  });

  it("posts in no channel when none is set", () => {
    expect(
      draftsOf(0, [{ email: "bob@example.com" }], "ana@example.com", {
        escalation: false,
        approvalsChannel: undefined,
      }),
    ).toEqual([{ stage: 0, recipient: "bob@example.com" }]);
  });

  it("asks nobody more once the approval closed or the stage is over", () => {
    expect(stillAsks(stateWith(), 0)).toBe(true);
    expect(stillAsks(stateWith({ closure: { outcome: "Expired", at: AT } }), 0)).toBe(false);
    expect(stillAsks(stateWith({ stages: new Map([[0, { ...stageFacts(0), completedAt: AT }]]) }), 0)).toBe(
      false,
    );
    expect(
      stillAsks(
        stateWith({
          stages: new Map([
            [0, stageFacts(0)],
            [1, stageFacts(1)],
          ]),
        }),
        0,
      ),
    ).toBe(false);
  });
});

describe("how the approval ended, in words", () => {
  it("names who approved, and when", () => {
    expect(
      closed(RequestApproved, {
        approver: "eve@example.com",
        approvals: [
          { stage: 0, approver: "bob@example.com", decidedAt: AT },
          { stage: 1, approver: "eve@example.com", decidedAt: AT },
        ],
        decidedAt: AT,
      }),
    ).toEqual({ outcome: "Approved by bob@example.com and eve@example.com", at: AT, reason: undefined });
  });

  it("keeps a person's reason for rejecting beside the words, a policy's in them", () => {
    expect(
      closed(RequestRejected, { approver: "bob@example.com", reason: "Too big", decidedAt: AT }),
    ).toEqual({
      outcome: "Rejected by bob@example.com",
      at: AT,
      reason: "Too big",
    });
    expect(closed(RequestRejected, { approver: "policy:no-huge", reason: "Too big", decidedAt: AT })).toEqual(
      {
        outcome: "Refused by policy no-huge: Too big",
        at: AT,
        reason: undefined,
      },
    );
  });

  it("says an approval expired, or was withdrawn, and when", () => {
    expect(closed(RequestExpired, { expiresAt: AT, expiredAt: "2026-03-04T10:00:30.000Z" })).toEqual({
      outcome: "Expired before enough approvers decided",
      at: "2026-03-04T10:00:30.000Z",
      reason: undefined,
    });
    expect(
      closed(RequestCancelled, { cancelledBy: "ana@example.com", reason: "Not needed", cancelledAt: AT })
        .outcome,
    ).toBe("Withdrawn by its requester, ana@example.com (Not needed)");
  });

  it("says how an extension round was decided", () => {
    const extension = { n: 1, from: AT, until: "2026-03-08T10:00:00.000Z", justification: "Another week" };
    expect(
      closed(ExtensionDecided, {
        extension,
        approved: false,
        decider: "bob@example.com",
        reason: "No",
        decidedAt: AT,
      }),
    ).toEqual({ outcome: "Rejected by bob@example.com", at: AT, reason: "No" });
  });
});

describe("what each message shows as the approval goes on", () => {
  const bob = { stage: 0, recipient: "bob@example.com" };
  const cy = { stage: 0, recipient: "cy@example.com" };
  const channel = { stage: 0, recipient: "channel" };

  it("keeps the buttons of every message until somebody votes", () => {
    expect(messageStatus(stateWith(), bob)).toEqual({ open: true, lines: [] });
  });

  it("takes the buttons off the voter's message and says how many approvals are still needed", () => {
    const state = stateWith({ votes: [vote("Bob@example.com")] });

    expect(messageStatus(state, bob)).toEqual({
      open: false,
      lines: ["You approved at Sun, 1 Mar 2026, 14:02 UTC — waiting for 1 more approval"],
    });
  });

  it("leaves the others their buttons with the count so far, the channel's too", () => {
    const state = stateWith({ votes: [vote("bob@example.com")] });

    expect(messageStatus(state, cy)).toEqual({ open: true, lines: ["bob@example.com approved (1 of 2)"] });
    expect(messageStatus(state, channel)).toEqual({
      open: true,
      lines: ["bob@example.com approved (1 of 2)"],
    });
  });

  it("says a rejecter rejected, with their reason", () => {
    const state = stateWith({
      votes: [vote("bob@example.com", { action: "reject", reason: "Too big", approvals: 0 })],
    });

    expect(messageStatus(state, bob)).toEqual({
      open: false,
      lines: ["You rejected at Sun, 1 Mar 2026, 14:02 UTC: Too big"],
    });
    expect(messageStatus(state, cy).lines).toEqual(["bob@example.com rejected: Too big"]);
  });

  it("counts only the votes of the message's own stage", () => {
    const state = stateWith({ votes: [vote("bob@example.com", { stage: 1 })] });

    expect(messageStatus(state, bob)).toEqual({ open: true, lines: [] });
  });

  it("takes every button of a stage off once a later stage started, naming it", () => {
    const state = stateWith({
      stages: new Map([
        [0, stageFacts(0)],
        [1, stageFacts(1, 2, 1)],
      ]),
      votes: [vote("bob@example.com"), vote("dee@example.com", { approvals: 2 })],
    });

    expect(messageStatus(state, cy)).toEqual({
      open: false,
      lines: ["Stage 1 (team leads) approved; now with Stage 2 of 2: ops — 1 approval needed"],
    });
    expect(messageStatus(state, bob).lines).toEqual([
      "Stage 1 (team leads) approved; now with Stage 2 of 2: ops — 1 approval needed",
      "You approved at Sun, 1 Mar 2026, 14:02 UTC",
    ]);
  });

  it("takes every button off once the approval closed, saying how, when and why", () => {
    const state = stateWith({
      votes: [vote("bob@example.com", { action: "reject", reason: "Too big", approvals: 0 })],
      closure: { outcome: "Rejected by bob@example.com", at: AT, reason: "Too big" },
    });

    expect(messageStatus(state, cy)).toEqual({
      open: false,
      lines: ["Rejected by bob@example.com at Sun, 1 Mar 2026, 14:02 UTC: Too big"],
    });
    expect(messageStatus(state, channel).open).toBe(false);
  });
});
