import { describe, expect, it } from "vitest";
import {
  ApprovalPolicyApplied,
  type RawEnvelope,
  RequestRejected,
  ResourceRequested,
} from "../../events/index.ts";
import { envelopeOf, sampleDatabaseRequest, sampleRequest } from "../../test/support/fixtures.ts";
import { FINANCE, leaseFlow, twoStageFlow } from "./testing/flows.ts";
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

  it("says which email was not sent to a suppressed address, and why", () => {
    expect(
      entryInWords({
        type: "EmailSuppressed",
        detail: {
          requestId: "req-1",
          recipient: "ana@example.com",
          reason: "BOUNCE",
          about: "RequestRejected",
          aboutEventId: "e-1",
          suppressedAt: "2030-01-01T10:00:00.000Z",
        },
      }),
    ).toBe(
      "Email about RequestRejected not sent to ana@example.com: an earlier email to it bounced for good",
    );
  });

  it("says who withdrew the request, with their reason", () => {
    expect(wordsOf(flow.withdrawn)).toEqual([
      "Request withdrawn by its requester, ana@example.com: Found a spare box",
    ]);
  });

  describe("a lease", () => {
    const lease = leaseFlow(request, "2026-12-01T09:00:00Z");
    /** One of the lease's events, with some of its detail changed. */
    const changed = (envelope: RawEnvelope | undefined, detail: object): RawEnvelope => {
      if (!envelope) throw new Error("the lease flow has no such event");
      return { ...envelope, detail: { ...(envelope.detail as object), ...detail } };
    };

    it("tells its start, its reminders, and the timers by their names alone", () => {
      expect(wordsOf(lease.started)).toEqual([
        "Lease started: ends Tue, 8 Dec 2026, 09:00 UTC (terminate)",
        undefined,
        "Reminder 1 sent: the lease ends Tue, 8 Dec 2026, 09:00 UTC (terminate)",
      ]);
    });

    it("tells an extension asked for, each step of its round as the extension's, and the end it moved", () => {
      expect(wordsOf([...lease.extensionAsked, ...lease.extensionApproved])).toEqual([
        "Extension 1 asked by ana@example.com: until Fri, 11 Dec 2026, 09:00 UTC, instead of Tue, 8 Dec 2026, 09:00 UTC",
        "Extension 1: Policy dev applies: 1 stage (team leads)",
        "Extension 1: Stage team leads asks lead-a@example.com; 1 approval needed",
        undefined,
        "Extension 1: lead-a@example.com approved in stage team leads: 1 of 1",
        "Extension 1: Stage team leads approved by lead-a@example.com",
        "Extension 1 approved by lead-a@example.com",
        "Lease extended: ends Fri, 11 Dec 2026, 09:00 UTC instead of Tue, 8 Dec 2026, 09:00 UTC",
      ]);
    });

    it("tells who refused an extension and why: an approver, a policy, or nobody in time", () => {
      const [, refused] = lease.extensionRefused;
      const byPolicy = changed(refused, { decider: "policy:dev", reason: "at most 30 days in all" });
      const undecided = changed(refused, { decider: undefined, reason: undefined });
      expect(wordsOf([changed(refused, {}), byPolicy, undecided])).toEqual([
        "Extension 1 rejected by lead-a@example.com: Run them in the day",
        "Extension 1 refused by policy dev: at most 30 days in all",
        "Extension 1 refused: nobody decided in time",
      ]);
      expect(
        wordsOf([changed(refused, { approved: true, decider: "policy:dev", reason: undefined })]),
      ).toEqual(["Extension 1 auto-approved by policy dev"]);
    });

    it("tells a release at the end and the launcher's confirmation, and who released it early and why", () => {
      const [asked, , released] = lease.released;
      const byRequester = { reason: "released-by-requester", by: { email: "ana@example.com" } };
      expect(
        wordsOf([
          asked,
          released,
          changed(asked, { ...byRequester, action: "stop", note: "Done with it" }),
          changed(released, { ...byRequester, action: "stop", outcome: "stopped" }),
          changed(asked, { reason: "released-by-operator", by: { email: "operator@example.com" } }),
        ] as RawEnvelope[]),
      ).toEqual([
        "The lease ended: release asked (terminate)",
        "Released at the end of its lease: terminated",
        "Release asked by its requester, ana@example.com (stop): Done with it",
        "Released by its requester, ana@example.com: stopped",
        "Release asked by an operator, operator@example.com (terminate)",
      ]);
    });

    it("names a database's final snapshot", () => {
      const [, , deleted] = leaseFlow(sampleDatabaseRequest(), "2026-12-01T09:00:00Z").released;
      expect(wordsOf([deleted as RawEnvelope])).toEqual([
        "Released at the end of its lease: deleted, final snapshot orders-1a2b3c4d-final",
      ]);
    });

    it("says a kept bucket was kept, and a release that failed after how many attempts", () => {
      const [, keptBucket] = lease.kept;
      expect(
        wordsOf([
          keptBucket,
          changed(keptBucket, { kept: false, attempts: 5, problem: "i-0123 still runs" }),
        ] as RawEnvelope[]),
      ).toEqual([
        "Kept: The bucket holds 3 objects: empty it, then release it",
        "Release failed after 5 attempts: i-0123 still runs",
      ]);
    });
  });

  it("leaves a detail that breaks its contract, and other events, unworded", () => {
    expect(entryInWords({ type: ApprovalPolicyApplied.detailType, detail: { policy: "?" } })).toBeUndefined();
    expect(entryInWords({ type: ResourceRequested.detailType, detail: {} })).toBeUndefined();
  });
});
