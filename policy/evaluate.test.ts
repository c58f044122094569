import { describe, expect, it } from "vitest";
import { evaluate } from "./evaluate.ts";
import { parsePolicies } from "./load.ts";
import { type PolicyRequest, parsePolicyRequest } from "./request.ts";

const DEFAULT = { name: "default", stages: [{ approvers: { groups: ["approvers"] }, quorum: 1 }] };

const policiesOf = (...policies: unknown[]) =>
  parsePolicies(JSON.stringify({ policies: [...policies, DEFAULT] }), "policies.json");

const requestFor = (overrides: { instanceType?: string; groups?: string[]; justification?: string } = {}) =>
  parsePolicyRequest(
    {
      requester: { email: "requester@example.com", groups: overrides.groups ?? ["requesters"] },
      resource: { type: "ec2", instanceType: overrides.instanceType ?? "m7i.large", os: "ubuntu-24.04" },
      justification: overrides.justification ?? "load tests",
    },
    "the test",
  ) satisfies PolicyRequest;

const t3AutoApproved = {
  name: "small-dev-boxes",
  match: { resource: { instanceType: [{ prefix: "t3." }] } },
  autoApprove: { reason: "small burstable instance" },
};

describe("evaluate", () => {
  it("decides with the first policy whose match accepts the request, and says so", () => {
    const policies = policiesOf(t3AutoApproved, {
      name: "everything-ec2",
      match: { resource: { type: ["ec2"] } },
      deny: { reason: "no" },
    });

    const decision = evaluate(policies, requestFor({ instanceType: "t3.micro" }));

    expect(decision).toEqual({
      policy: { name: "small-dev-boxes", hash: policies.conditional[0]?.hash },
      outcome: { kind: "autoApprove", reason: "small burstable instance" },
      lease: { noEnd: false, onEnd: {} },
      why: ['matched "small-dev-boxes": its match accepts the request'],
    });
  });

  it("says which fields of each skipped policy did not match, with the request's values", () => {
    const decision = evaluate(
      policiesOf(t3AutoApproved, {
        name: "huge-volumes",
        match: { resource: { volume: { sizeGiB: [{ numeric: [">", 4096] }] } } },
        deny: { reason: "capacity planning" },
      }),
      requestFor({ instanceType: "m7i.large" }),
    );

    expect(decision.policy.name).toBe("default");
    expect(decision.why).toEqual([
      'skipped "small-dev-boxes": its match does not accept resource.instanceType ("m7i.large")',
      'skipped "huge-volumes": its match does not accept resource.volume.sizeGiB (absent)',
      'matched "default": the last policy decides every request the others do not match',
    ]);
  });

  it("matches the requester's groups from the identity provider", () => {
    const policies = policiesOf({
      name: "operators",
      match: { requester: { groups: ["operators"] } },
      autoApprove: { reason: "operators' requests" },
    });

    expect(evaluate(policies, requestFor({ groups: ["requesters", "operators"] })).policy.name).toBe(
      "operators",
    );
    expect(evaluate(policies, requestFor({ groups: ["requesters"] })).why[0]).toBe(
      'skipped "operators": its match does not accept requester.groups (["requesters"])',
    );
  });

  it("explains each alternative of a match with $or", () => {
    const policies = policiesOf({
      name: "burstable",
      match: {
        $or: [{ resource: { instanceType: [{ prefix: "t3." }] } }, { requester: { groups: ["operators"] } }],
      },
      autoApprove: { reason: "cheap or trusted" },
    });

    expect(evaluate(policies, requestFor()).why[0]).toBe(
      'skipped "burstable": none of the 2 alternatives of its match accepts the request ' +
        '(1: resource.instanceType ("m7i.large"); 2: requester.groups (["requesters"]))',
    );
  });

  it("cuts a long value short in its explanation", () => {
    const policies = policiesOf({
      name: "urgent",
      match: { justification: [{ prefix: "URGENT" }] },
      autoApprove: { reason: "urgent" },
    });

    const [skipped] = evaluate(policies, requestFor({ justification: "x".repeat(500) })).why;

    expect(skipped).toBe(`skipped "urgent": its match does not accept justification ("${"x".repeat(58)}…)`);
  });

  it("hands back the matched policy's stages as the decision service runs them", () => {
    const decision = evaluate(
      policiesOf({
        name: "two-stages",
        match: { resource: { type: ["ec2"] } },
        stages: [
          { name: "leads", approvers: { groups: ["approvers"] }, quorum: 2 },
          { approvers: { emails: ["Finance@Example.com"] }, quorum: "all" },
        ],
        reminders: { every: "PT12H", max: 3 },
      }),
      requestFor(),
    );

    expect(decision.outcome).toEqual({
      kind: "stages",
      stages: [
        { name: "leads", approvers: { groups: ["approvers"], emails: [] }, quorum: 2 },
        { name: "stage 2", approvers: { groups: [], emails: ["finance@example.com"] }, quorum: "all" },
      ],
      reminders: { everyMs: 12 * 3600_000, max: 3 },
    });
  });
});

describe("the request document", () => {
  it("is refused with each field at fault named", () => {
    expect(() =>
      parsePolicyRequest(
        { requester: { email: "requester@example.com" }, resource: { type: "ec2" }, justification: "x" },
        "request.json",
      ),
    ).toThrow(
      "Invalid request in request.json: requester.groups is required; resource.instanceType is required; resource.os is required",
    );
  });
});
