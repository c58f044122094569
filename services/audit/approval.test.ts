import { describe, expect, it } from "vitest";
import type { TimelineEntry } from "../../api/schemas.ts";
import { ApprovalEscalated } from "../../events/approval-escalated.ts";
import { ApprovalPolicyApplied } from "../../events/approval-policy-applied.ts";
import { ApproversReminded } from "../../events/approvers-reminded.ts";
import { type RawEnvelope, RequestApproved, RequestRejected } from "../../events/index.ts";
import { envelopeOf, sampleRequest } from "../../test/support/fixtures.ts";
import { approvalOf, awaitedApproversOf } from "./approval.ts";
import {
  FINANCE,
  permutations,
  secondsAfter,
  TEAM_LEADS,
  TWO_STAGE_POLICY,
  twoStageFlow,
} from "./testing/flows.ts";

const START = "2026-12-01T09:00:00Z";
const request = sampleRequest({
  requestId: "req-staged",
  resource: { type: "ec2", instanceType: "m7i.large", os: "amazon-linux-2023" },
});
const flow = twoStageFlow(request, START);
const [LEAD_A, LEAD_B, LEAD_C] = TEAM_LEADS;

const entriesOf = (envelopes: readonly RawEnvelope[]): TimelineEntry[] =>
  envelopes.map((envelope) => ({
    eventId: envelope.id,
    type: envelope["detail-type"],
    time: new Date(envelope.time).toISOString(),
    source: envelope.source,
    detail: envelope.detail,
  }));

const explain = (...steps: RawEnvelope[][]) => approvalOf(entriesOf(steps.flat()));

describe("approvalOf", () => {
  it("is absent for a request no policy decided", () => {
    expect(explain(flow.opened.slice(0, 2))).toBeUndefined();
  });

  it("names the policy, why it matched, and the stages it will ask before anyone is asked", () => {
    expect(explain(flow.opened.slice(0, 3))).toEqual({
      policy: {
        name: "large-instances",
        hash: TWO_STAGE_POLICY.hash,
        why: ["small-dev-boxes: instanceType is not t3.*", "large-instances: matches everything else"],
      },
      outcome: "stages",
      stages: [
        { index: 0, name: "team leads", quorum: 2, state: "waiting", asked: [], approvedBy: [] },
        { index: 1, name: "finance", quorum: "all", state: "waiting", asked: [], approvedBy: [] },
      ],
      waitingFor: "Waiting for team leads (stage 1 of 2) to be asked",
    });
  });

  it("shows whom the first stage asked, and how many approvals it still needs", () => {
    const approval = explain(flow.opened);
    expect(approval?.stages[0]).toEqual({
      index: 0,
      name: "team leads",
      quorum: 2,
      state: "active",
      asked: TEAM_LEADS.map((email) => ({ email, askedAt: secondsAfter(START, 3) })),
      approvedBy: [],
    });
    expect(approval?.stages[1]?.state).toBe("waiting");
    expect(approval?.waitingFor).toBe("Waiting for 2 more approvals from team leads (stage 1 of 2)");
  });

  it("counts an approval: one more is needed", () => {
    const approval = explain(flow.opened, flow.firstVote);
    expect(approval?.stages[0]?.approvedBy).toEqual([{ email: LEAD_A, at: secondsAfter(START, 5) }]);
    expect(approval?.waitingFor).toBe("Waiting for 1 more approval from team leads (stage 1 of 2)");
  });

  it("shows who was reminded, how often and when last, and whom an escalation added", () => {
    const stage = { index: 0, name: "team leads", count: 2 };
    const reminder = (n: number, approvers: string[], at: number) =>
      envelopeOf(
        ApproversReminded,
        {
          requestId: request.requestId,
          request,
          stage,
          approvers,
          quorum: 2,
          reminder: { n, max: 2 },
          expiresAt: secondsAfter(START, 86400),
          remindedAt: secondsAfter(START, at),
        },
        { time: secondsAfter(START, at) },
      );
    const escalation = envelopeOf(
      ApprovalEscalated,
      {
        requestId: request.requestId,
        request,
        stage,
        approvers: [FINANCE],
        quorum: 2,
        expiresAt: secondsAfter(START, 86400),
        escalatedAt: secondsAfter(START, 40),
      },
      { time: secondsAfter(START, 40) },
    );
    const first = reminder(1, [LEAD_A, LEAD_B, LEAD_C], 20);
    const second = reminder(2, [LEAD_B, LEAD_C], 30);

    const approval = explain(flow.opened, flow.firstVote, [first, second, second, escalation]);

    expect(approval?.stages[0]?.reminded).toEqual([
      { email: LEAD_A, times: 1, lastAt: secondsAfter(START, 20) },
      { email: LEAD_B, times: 2, lastAt: secondsAfter(START, 30) },
      { email: LEAD_C, times: 2, lastAt: secondsAfter(START, 30) },
    ]);
    expect(approval?.stages[0]?.asked).toContainEqual({
      email: FINANCE,
      askedAt: secondsAfter(START, 40),
      escalated: true,
    });
    expect(approval?.stages[0]?.asked.filter((person) => person.escalated)).toHaveLength(1);
  });

  it("moves to the next stage once the first reaches its quorum", () => {
    const approval = explain(flow.opened, flow.firstVote, flow.firstStageDone);
    expect(approval?.stages.map(({ state }) => state)).toEqual(["approved", "active"]);
    expect(approval?.stages[0]?.approvedBy.map(({ email }) => email)).toEqual([LEAD_A, LEAD_B]);
    expect(approval?.stages[1]).toMatchObject({
      quorum: 1,
      asked: [{ email: FINANCE, askedAt: secondsAfter(START, 7) }],
    });
    expect(approval?.waitingFor).toBe("Waiting for 1 more approval from finance (stage 2 of 2)");
  });

  it("says nothing is awaited once the request is approved", () => {
    const approval = explain(flow.opened, flow.firstVote, flow.firstStageDone, flow.approved);
    expect(approval?.stages.map(({ state }) => state)).toEqual(["approved", "approved"]);
    expect(approval?.stages[1]?.approvedBy).toEqual([{ email: FINANCE, at: secondsAfter(START, 9) }]);
    expect(approval?.waitingFor).toBeUndefined();
  });

  it("names who rejected, when and why, in the stage that was asking", () => {
    const approval = explain(flow.opened, flow.firstVote, flow.rejectedByLeadC);
    expect(approval?.stages[0]).toMatchObject({
      state: "rejected",
      approvedBy: [{ email: LEAD_A }],
      rejectedBy: { email: LEAD_C, at: secondsAfter(START, 6), reason: "Too big for a test" },
    });
    expect(approval?.stages[1]?.state).toBe("waiting");
    expect(approval?.waitingFor).toBeUndefined();
  });

  it("puts a rejection that came without its vote on the stage that was asking", () => {
    const rejectedOnly = flow.rejectedByLeadC.filter(
      (event) => event["detail-type"] === RequestRejected.detailType,
    );
    expect(explain(flow.opened, rejectedOnly)?.stages[0]?.rejectedBy).toEqual({
      email: LEAD_C,
      at: secondsAfter(START, 6),
      reason: "Too big for a test",
    });
  });

  it("shows the stage that was asking as expired when nobody decided in time", () => {
    const approval = explain(flow.opened, flow.firstVote, flow.expired);
    expect(approval?.stages.map(({ state }) => state)).toEqual(["expired", "waiting"]);
    expect(approval?.waitingFor).toBeUndefined();
  });

  it("shows the stage that was asking as cancelled once the requester withdrew, waiting for nobody", () => {
    const approval = explain(flow.opened, flow.firstVote, flow.withdrawn);
    expect(approval?.stages.map(({ state }) => state)).toEqual(["cancelled", "waiting"]);
    expect(approval?.stages[0]?.approvedBy.map(({ email }) => email)).toEqual([LEAD_A]);
    expect(approval?.waitingFor).toBeUndefined();
  });

  it("fills every stage's approvals from the outcome alone when the vote events are missing", () => {
    const outcomeOnly = flow.approved.filter((event) => event["detail-type"] === RequestApproved.detailType);
    const approval = explain(flow.opened, outcomeOnly);
    expect(approval?.stages.map(({ approvedBy }) => approvedBy.map(({ email }) => email))).toEqual([
      [LEAD_A, LEAD_B],
      [FINANCE],
    ]);
    expect(approval?.stages.map(({ state }) => state)).toEqual(["approved", "approved"]);
  });

  it("explains an auto-approval with its policy and no stages", () => {
    const applied = envelopeOf(ApprovalPolicyApplied, {
      requestId: request.requestId,
      request,
      policy: { name: "small-dev-boxes", hash: "abcdef012345" },
      outcome: "autoApprove",
      why: ["small-dev-boxes: instanceType starts with t3."],
      appliedAt: START,
    });
    expect(explain([applied])).toEqual({
      policy: {
        name: "small-dev-boxes",
        hash: "abcdef012345",
        why: ["small-dev-boxes: instanceType starts with t3."],
      },
      outcome: "autoApprove",
      stages: [],
      waitingFor: undefined,
    });
  });

  it("is the same whatever order the events arrive in, and however often", () => {
    const events = [...flow.opened.slice(2), ...flow.firstVote, ...flow.firstStageDone];
    const expected = approvalOf(entriesOf(events));
    for (const order of permutations(events.slice(0, 5))) {
      const shuffled = [...order, ...events.slice(5), events[3] as RawEnvelope];
      expect(approvalOf(entriesOf(shuffled))).toEqual(expected);
    }
  });
});

describe("awaitedApproversOf", () => {
  it("is the stage asking now, without those who already approved", () => {
    const approval = explain(flow.opened, flow.firstVote);
    expect(awaitedApproversOf({ approval, approvers: [...TEAM_LEADS] })).toEqual([LEAD_B, LEAD_C]);
  });

  it("is nobody once the request is decided", () => {
    const approval = explain(flow.opened, flow.firstVote, flow.firstStageDone, flow.approved);
    expect(awaitedApproversOf({ approval, approvers: [...TEAM_LEADS, FINANCE] })).toEqual([]);
  });

  it("is every approver asked for a request from before approval policies", () => {
    expect(awaitedApproversOf({ approvers: ["approver@example.com"] })).toEqual(["approver@example.com"]);
  });
});
