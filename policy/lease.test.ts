import { describe, expect, it } from "vitest";
import { evaluate } from "./evaluate.ts";
import { judgeExtension, type LeaseLimits, settleLease } from "./lease.ts";
import { parsePolicies } from "./load.ts";
import { parsePolicyRequest } from "./request.ts";

const LIMITS: LeaseLimits = { default: "P7D", min: "PT1H", max: "P90D" };

/** The decision of a policy set holding only `policy`, which matches every request. */
const decisionOf = (policy: Record<string, unknown>) =>
  evaluate(
    parsePolicies(JSON.stringify({ policies: [{ name: "the-policy", ...policy }] }), "policies.json"),
    parsePolicyRequest(
      {
        requester: { email: "requester@example.com", groups: ["requesters"] },
        resource: { type: "ec2", instanceType: "m7i.large", os: "ubuntu-24.04" },
        justification: "load tests",
      },
      "the test",
    ),
  );

const STAGES = { stages: [{ approvers: { groups: ["approvers"] }, quorum: 1 }] };

describe("settling a request's lease at acceptance", () => {
  it("gives a request that asks for none the deployment's default, ending in the type's default action", () => {
    expect(settleLease(decisionOf(STAGES), undefined, "ec2", LIMITS)).toEqual({
      ok: true,
      terms: { duration: "P7D", onEnd: "terminate", max: "P90D" },
    });
    expect(settleLease(decisionOf(STAGES), undefined, "rds", LIMITS)).toMatchObject({
      terms: { onEnd: "snapshot-and-delete" },
    });
  });

  it("gives the policy's default, max and end actions where it names them", () => {
    const decision = decisionOf({
      ...STAGES,
      lease: { default: "P2D", max: "P14D", onEnd: { ec2: "stop", rds: "delete-without-snapshot" } },
    });

    expect(settleLease(decision, undefined, "ec2", LIMITS)).toEqual({
      ok: true,
      terms: { duration: "P2D", onEnd: "stop", max: "P14D" },
    });
    expect(settleLease(decision, "PT8H", "rds", LIMITS)).toEqual({
      ok: true,
      terms: { duration: "PT8H", onEnd: "delete-without-snapshot", max: "P14D" },
    });
    // A bucket is only ever deleted when it is empty, whatever the policy says of the other types.
    expect(settleLease(decision, undefined, "s3", LIMITS)).toMatchObject({
      terms: { onEnd: "delete-if-empty" },
    });
  });

  it("never lets a policy's max or default outrun the deployment's LEASE_MAX", () => {
    const decision = decisionOf({ ...STAGES, lease: { default: "P60D", max: "P365D" } });

    expect(settleLease(decision, undefined, "ec2", { ...LIMITS, max: "P30D" })).toEqual({
      ok: true,
      terms: { duration: "P30D", onEnd: "terminate", max: "P30D" },
    });
  });

  it("refuses a lease longer than the policy's max, naming both", () => {
    const decision = decisionOf({ ...STAGES, lease: { max: "P14D" } });

    expect(settleLease(decision, "P30D", "ec2", LIMITS)).toEqual({
      ok: false,
      reason: 'lease: P30D is longer than the P14D policy "the-policy" allows',
    });
  });

  it('refuses "none" unless the policy allows no end, and then keeps no max', () => {
    expect(settleLease(decisionOf(STAGES), "none", "ec2", LIMITS)).toEqual({
      ok: false,
      reason: 'lease: policy "the-policy" does not allow a lease with no end; ask for at most P90D',
    });
    expect(settleLease(decisionOf({ ...STAGES, lease: { noEnd: true } }), "none", "ec2", LIMITS)).toEqual({
      ok: true,
      terms: { duration: null, onEnd: "terminate", max: null },
    });
  });

  it("keeps the policy's max on a lease with an end, even where the policy allows no end", () => {
    const decision = decisionOf({ ...STAGES, lease: { noEnd: true, max: "P30D" } });

    expect(settleLease(decision, "P7D", "ec2", LIMITS)).toEqual({
      ok: true,
      terms: { duration: "P7D", onEnd: "terminate", max: "P30D" },
    });
  });
});

describe("judging an extension of a running lease", () => {
  const startedAt = new Date("2026-03-01T00:00:00.000Z");
  const daysIn = (days: number) => new Date(startedAt.getTime() + days * 86_400_000);
  const terms = { duration: "P7D", onEnd: "terminate", max: "P30D" } as const;

  it("approves within the policy's autoExtendUpTo, and asks its approvers beyond it", () => {
    const decision = decisionOf({ ...STAGES, lease: { max: "P30D", autoExtendUpTo: "P14D" } });

    expect(judgeExtension(decision, terms, startedAt, daysIn(14))).toEqual({
      kind: "approve",
      reason: 'within the P14D policy "the-policy" extends without asking',
    });
    expect(judgeExtension(decision, terms, startedAt, daysIn(20))).toEqual({ kind: "ask" });
  });

  it("refuses an extension that would run the lease past its max, counted from provisioning", () => {
    const decision = decisionOf({ ...STAGES, lease: { max: "P30D", autoExtendUpTo: "P14D" } });

    expect(judgeExtension(decision, terms, startedAt, daysIn(31))).toEqual({
      kind: "refuse",
      reason: 'the lease would run longer than the P30D policy "the-policy" allows from provisioning',
    });
  });

  it("follows an auto-approving or denying policy as it would a request", () => {
    expect(
      judgeExtension(decisionOf({ autoApprove: { reason: "cheap" } }), terms, startedAt, daysIn(10)),
    ).toEqual({
      kind: "approve",
      reason: "cheap",
    });
    expect(judgeExtension(decisionOf({ deny: { reason: "never" } }), terms, startedAt, daysIn(10))).toEqual({
      kind: "refuse",
      reason: "never",
    });
  });

  it("asks every time when the policy has stages and no autoExtendUpTo", () => {
    expect(judgeExtension(decisionOf(STAGES), terms, startedAt, daysIn(8))).toEqual({ kind: "ask" });
  });
});
