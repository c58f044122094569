import { describe, expect, it } from "vitest";
import {
  ApprovalPolicyApplied,
  type RawEnvelope,
  RequestRejected,
  ResourceRequested,
} from "../../events/index.ts";
import { envelopeOf, sampleRequest } from "../../test/support/fixtures.ts";
import { FINANCE, twoStageFlow } from "./testing/flows.ts";
import { entryInWords } from "./words.ts";

const request = sampleRequest({ requestId: "req-words" });
const flow = twoStageFlow(request, "2026-12-01T09:00:00Z");

const wordsOf = (envelopes: readonly RawEnvelope[]) =>
  envelopes.map((envelope) => entryInWords({ type: envelope["detail-type"], detail: envelope.detail }));

describe("entryInWords", () => {
  it("tells a two-stage approval step by step", () => {
    expect(wordsOf([...flow.opened, ...flow.firstVote, ...flow.firstStageDone, ...flow.approved])).toEqual([
      undefined,
      undefined,
      "Policy large-instances applies: 2 stages (team leads, then finance)",
      "Stage 1 of 2 (team leads) asks lead-a@example.com, lead-b@example.com and lead-c@example.com; 2 approvals needed",
      undefined,
      "lead-a@example.com approved in stage 1 of 2 (team leads): 1 of 2",
      "lead-b@example.com approved in stage 1 of 2 (team leads): 2 of 2",
      "Stage 1 of 2 (team leads) approved by lead-a@example.com and lead-b@example.com",
      `Stage 2 of 2 (finance) asks ${FINANCE}; 1 approval needed`,
      undefined,
      `${FINANCE} approved in stage 2 of 2 (finance): 1 of 1`,
      `Stage 2 of 2 (finance) approved by ${FINANCE}`,
      `Request approved by lead-a@example.com, lead-b@example.com and ${FINANCE}`,
    ]);
  });

  it("gives a person's rejection with its reason", () => {
    expect(wordsOf(flow.rejectedByLeadC)).toEqual([
      "lead-c@example.com rejected in stage 1 of 2 (team leads): Too big for a test",
      "Request rejected by lead-c@example.com: Too big for a test",
    ]);
  });

  it("names the policy that decided without asking anyone", () => {
    const applied = envelopeOf(ApprovalPolicyApplied, {
      requestId: request.requestId,
      request,
      policy: { name: "no-huge-volumes", hash: "abcdef012345" },
      outcome: "deny",
      why: ["no-huge-volumes: volume.sizeGiB > 4096"],
      appliedAt: "2026-12-01T09:00:02Z",
    });
    const denied = envelopeOf(RequestRejected, {
      requestId: request.requestId,
      request,
      approver: "policy:no-huge-volumes",
      reason: "volumes over 4 TiB go through capacity planning",
      policy: { name: "no-huge-volumes", hash: "abcdef012345" },
      decidedAt: "2026-12-01T09:00:02Z",
    });
    expect(wordsOf([applied, denied])).toEqual([
      "Policy no-huge-volumes applies: refuse",
      "Request refused by policy no-huge-volumes: volumes over 4 TiB go through capacity planning",
    ]);
  });

  it("says an expiry plainly", () => {
    expect(wordsOf(flow.expired)).toEqual(["Request expired: nobody decided in time"]);
  });

  it("says who withdrew the request, with their reason", () => {
    expect(wordsOf(flow.withdrawn)).toEqual([
      "Request withdrawn by its requester, ana@example.com: Found a spare box",
    ]);
  });

  it("leaves a detail that breaks its contract, and other events, unworded", () => {
    expect(entryInWords({ type: ApprovalPolicyApplied.detailType, detail: { policy: "?" } })).toBeUndefined();
    expect(entryInWords({ type: ResourceRequested.detailType, detail: {} })).toBeUndefined();
  });
});
