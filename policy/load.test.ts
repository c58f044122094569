import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY_FILE, loadPolicies, PolicyFileError, parsePolicies, policyHash } from "./load.ts";

const EXAMPLE_FILE = join(import.meta.dirname, "..", "policies", "examples", "ec2-by-size.json");

const DEFAULT = { name: "default", stages: [{ approvers: { groups: ["approvers"] }, quorum: 1 }] };

/** A file of `policies` followed by the catch-all default, as every valid file ends. */
const fileOf = (...policies: unknown[]) => JSON.stringify({ policies: [...policies, DEFAULT] });

const refusalOf = (text: string): string => {
  try {
    parsePolicies(text, "policies.json");
  } catch (error) {
    if (error instanceof PolicyFileError) return error.message;
    throw error;
  }
  throw new Error("the file was accepted");
};

const directory = mkdtempSync(join(tmpdir(), "policies-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("loadPolicies", () => {
  it("reads the issue's example into outcomes with durations in milliseconds and every stage named", () => {
    const policies = loadPolicies(EXAMPLE_FILE);

    expect(policies.conditional.map(({ name, outcome }) => ({ name, outcome }))).toEqual([
      { name: "small-dev-boxes", outcome: { kind: "autoApprove", reason: "small burstable instance" } },
      {
        name: "no-huge-volumes",
        outcome: { kind: "deny", reason: "volumes over 4 TiB go through capacity planning" },
      },
      {
        name: "large-instances",
        outcome: {
          kind: "stages",
          stages: [
            { name: "team leads", approvers: { groups: ["approvers"], emails: [] }, quorum: 2 },
            { name: "finance", approvers: { groups: [], emails: ["operator@example.com"] }, quorum: 1 },
          ],
          expiresAfterMs: 3 * 24 * 3600_000,
          reminders: { everyMs: 24 * 3600_000, max: 2 },
          escalation: { afterMs: 48 * 3600_000, to: { groups: ["operators"], emails: [] } },
        },
      },
    ]);
    expect(policies.fallback).toMatchObject({
      name: "default",
      outcome: { kind: "stages", stages: [{ name: "stage 1", quorum: 1 }] },
    });
  });

  it("reads the repository's default file: one stage of one approver from the approvers group", () => {
    const policies = loadPolicies(DEFAULT_POLICY_FILE);

    expect(policies.conditional).toEqual([]);
    expect(policies.fallback.outcome).toEqual({
      kind: "stages",
      stages: [{ name: "approvers", approvers: { groups: ["approvers"], emails: [] }, quorum: 1 }],
    });
  });

  it("names a file that cannot be read", () => {
    const missing = join(directory, "missing.json");

    expect(() => loadPolicies(missing)).toThrow(PolicyFileError);
    expect(() => loadPolicies(missing)).toThrow(
      `Invalid approval policies in ${missing}: the file cannot be read`,
    );
  });

  it("names the file it read in every refusal", () => {
    const file = join(directory, "no-default.json");
    writeFileSync(file, JSON.stringify({ policies: [] }));

    expect(() => loadPolicies(file)).toThrow(
      `Invalid approval policies in ${file}: policies must list at least one policy`,
    );
  });
});

describe("a policy file", () => {
  it("ends with a policy that matches everything: no match, or an empty one", () => {
    const withEmptyMatch = JSON.stringify({ policies: [{ ...DEFAULT, match: {} }] });

    expect(parsePolicies(withEmptyMatch, "policies.json").fallback.name).toBe("default");
  });

  it("is refused when its last policy has a match", () => {
    expect(refusalOf(JSON.stringify({ policies: [{ ...DEFAULT, match: { region: ["eu-west-1"] } }] }))).toBe(
      'Invalid approval policies in policies.json: policy "default": match must be left out: the last policy decides every request the others do not match, so a file must end with one that matches everything',
    );
  });

  it("is refused when a policy before the last matches everything, naming the policies it hides", () => {
    expect(
      refusalOf(
        fileOf(
          { name: "everything", deny: { reason: "no" } },
          { name: "t3", match: { a: [1] }, deny: { reason: "no" } },
        ),
      ),
    ).toBe(
      'Invalid approval policies in policies.json: policy "everything": match is missing or empty, so it matches every request and "t3", "default" after it would never be tried; only the last policy matches everything',
    );
  });

  it("is refused when two policies share a name, naming both by position", () => {
    expect(refusalOf(fileOf({ name: "default", match: { a: [1] }, deny: { reason: "no" } }))).toBe(
      'Invalid approval policies in policies.json: policies[1]: name "default" is already the name of policies[0]; names must be unique',
    );
  });

  it("is refused when it is not JSON or has no policies list", () => {
    expect(refusalOf("{")).toMatch(/^Invalid approval policies in policies\.json: the file is not JSON \(/);
    expect(refusalOf("[]")).toBe(
      'Invalid approval policies in policies.json: must be an object with a "policies" list',
    );
    expect(refusalOf('{"policies": [], "version": 2}')).toBe(
      "Invalid approval policies in policies.json: policies must list at least one policy; version is not a recognised field",
    );
  });
});

describe("a policy", () => {
  it("is named in a refusal with the field and the problem, or by its position when it has no name", () => {
    expect(refusalOf(fileOf({ match: { a: [1] }, deny: { reason: "no" } }))).toBe(
      "Invalid approval policies in policies.json: policies[0]: name is required",
    );
    expect(refusalOf(fileOf({ name: "big one!", match: { a: [1] }, deny: { reason: "" } }))).toBe(
      "Invalid approval policies in policies.json: " +
        `policy "big one!": name must be 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit; ` +
        'policy "big one!": deny.reason must not be empty',
    );
  });

  it("has a match the EventBridge pattern engine accepts, or is refused with the engine's reason", () => {
    expect(
      refusalOf(fileOf({ name: "ec2", match: { resource: { type: "ec2" } }, deny: { reason: "no" } })),
    ).toBe(
      'Invalid approval policies in policies.json: policy "ec2": match is not a valid EventBridge event pattern: "type" must be an object or an array',
    );
    expect(refusalOf(fileOf({ name: "text", match: '{"a": [1]}', deny: { reason: "no" } }))).toBe(
      'Invalid approval policies in policies.json: policy "text": match must be an EventBridge event pattern (an object)',
    );
  });

  it("has exactly one outcome", () => {
    expect(refusalOf(fileOf({ name: "none", match: { a: [1] } }))).toBe(
      'Invalid approval policies in policies.json: policy "none": must have one of autoApprove, deny or stages',
    );
    expect(
      refusalOf(
        fileOf({ name: "both", match: { a: [1] }, autoApprove: { reason: "yes" }, deny: { reason: "no" } }),
      ),
    ).toBe(
      'Invalid approval policies in policies.json: policy "both": deny cannot be given beside autoApprove: a policy decides in one way',
    );
  });

  it("refuses a misspelt field instead of ignoring it", () => {
    expect(refusalOf(fileOf({ name: "typo", match: { a: [1] }, stage: [], deny: { reason: "no" } }))).toBe(
      'Invalid approval policies in policies.json: policy "typo": stage is not a recognised field',
    );
  });

  it("has expiry, reminders and escalation only with stages", () => {
    expect(
      refusalOf(
        fileOf({
          name: "d",
          match: { a: [1] },
          deny: { reason: "no" },
          expiresAfter: "P1D",
          reminders: { every: "PT1H", max: 1 },
        }),
      ),
    ).toBe(
      'Invalid approval policies in policies.json: policy "d": expiresAfter applies only to a policy with stages; ' +
        'policy "d": reminders applies only to a policy with stages',
    );
  });

  it("has durations of a fixed, positive length", () => {
    const stages = [{ approvers: { groups: ["approvers"] }, quorum: 1 }];

    expect(
      refusalOf(
        fileOf({
          name: "s",
          match: { a: [1] },
          stages,
          expiresAfter: "P1M",
          escalation: { after: "PT0S", to: { groups: ["operators"] } },
        }),
      ),
    ).toBe(
      'Invalid approval policies in policies.json: policy "s": expiresAfter must not count years or months: their length depends on the date they start from; write days or weeks (P30D, P4W); ' +
        'policy "s": escalation.after must be longer than zero',
    );
  });
});

describe("a stage", () => {
  const refusalOfStage = (stage: unknown) =>
    refusalOf(fileOf({ name: "s", match: { a: [1] }, stages: [stage] }));

  it("has a quorum that is a positive whole number or all", () => {
    expect(refusalOfStage({ approvers: { groups: ["approvers"] }, quorum: 0 })).toBe(
      'Invalid approval policies in policies.json: policy "s": stages[0].quorum must be a positive whole number',
    );
    expect(refusalOfStage({ approvers: { groups: ["approvers"] }, quorum: "most" })).toBe(
      'Invalid approval policies in policies.json: policy "s": stages[0].quorum must be a positive whole number or "all"',
    );
    expect(refusalOfStage({ approvers: { groups: ["approvers"] } })).toBe(
      'Invalid approval policies in policies.json: policy "s": stages[0].quorum is required',
    );
  });

  it("names at least one group or email", () => {
    expect(refusalOfStage({ approvers: { groups: [] }, quorum: 1 })).toBe(
      'Invalid approval policies in policies.json: policy "s": stages[0].approvers must name at least one group or email',
    );
  });

  it("with emails alone, asks for no more approvals than it names people", () => {
    expect(refusalOfStage({ approvers: { emails: ["a@example.com", "A@example.com"] }, quorum: 2 })).toBe(
      'Invalid approval policies in policies.json: policy "s": stages[0].quorum must be at most 1: the stage names 1 approver email and no group',
    );
  });
});

describe("policyHash", () => {
  it("names a policy's content, whatever its layout or key order", () => {
    const policy = { name: "p", match: { a: [1] }, deny: { reason: "no" } };
    const reordered = { deny: { reason: "no" }, match: { a: [1] }, name: "p" };

    expect(policyHash(policy)).toMatch(/^[0-9a-f]{12}$/);
    expect(policyHash(reordered)).toBe(policyHash(policy));
    expect(policyHash({ ...policy, deny: { reason: "not now" } })).not.toBe(policyHash(policy));
  });

  it("is the hash each loaded policy carries", () => {
    const [first] = parsePolicies(
      fileOf({ name: "p", match: { a: [1] }, deny: { reason: "no" } }),
      "p.json",
    ).conditional;

    expect(first?.hash).toBe(policyHash({ name: "p", match: { a: [1] }, deny: { reason: "no" } }));
  });
});
