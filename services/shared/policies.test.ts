import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY_FILE, loadPolicies, PolicyFileError } from "../../policy/index.ts";
import { approvalPolicies, embedPolicies, loadApprovalPolicies } from "./policies.ts";

const EXAMPLE_FILE = join(import.meta.dirname, "..", "..", "policies", "examples", "ec2-by-size.json");
const exampleText = readFileSync(EXAMPLE_FILE, "utf8");

const namesOf = (set: ReturnType<typeof loadPolicies>) => [
  ...set.conditional.map(({ name }) => name),
  set.fallback.name,
];

describe("loadApprovalPolicies", () => {
  it("takes the document embedded in the bundle over any file, hashing each policy as its file does", () => {
    const policies = loadApprovalPolicies(
      { source: "policies/examples/ec2-by-size.json", text: exampleText },
      { APPROVAL_POLICIES: DEFAULT_POLICY_FILE },
    );

    expect(policies.source).toBe("policies/examples/ec2-by-size.json");
    expect(namesOf(policies)).toEqual(namesOf(loadPolicies(EXAMPLE_FILE)));
    expect(policies.conditional.map(({ hash }) => hash)).toEqual(
      loadPolicies(EXAMPLE_FILE).conditional.map(({ hash }) => hash),
    );
  });

  it("reads the file APPROVAL_POLICIES names when nothing is embedded", () => {
    const policies = loadApprovalPolicies(undefined, { APPROVAL_POLICIES: EXAMPLE_FILE });

    expect(policies.source).toBe(EXAMPLE_FILE);
    expect(namesOf(policies)).toEqual(["small-dev-boxes", "no-huge-volumes", "large-instances", "default"]);
  });

  it("falls back to the repository's file", () => {
    expect(loadApprovalPolicies(undefined, {}).source).toBe(DEFAULT_POLICY_FILE);
  });

  it("refuses a missing file, naming it", () => {
    const load = () => loadApprovalPolicies(undefined, { APPROVAL_POLICIES: "/nowhere/policies.json" });

    expect(load).toThrow(PolicyFileError);
    expect(load).toThrow(/^Invalid approval policies in \/nowhere\/policies\.json: the file cannot be read/);
  });

  it("refuses an invalid embedded document, naming its source, the policy and the field", () => {
    const text = JSON.stringify({
      policies: [{ name: "only", match: { type: ["ec2"] }, deny: { reason: "no" } }],
    });

    expect(() => loadApprovalPolicies({ source: "policies/bad.json", text }, {})).toThrow(
      /^Invalid approval policies in policies\/bad\.json: policy "only": match must be left out/,
    );
  });
});

describe("embedPolicies", () => {
  it("defines the bundle's global as the document in JSON, which esbuild reads as an object literal", () => {
    const document = { source: "policies/examples/ec2-by-size.json", text: exampleText };
    const define = embedPolicies(document);

    expect(Object.keys(define)).toEqual(["__APPROVAL_POLICIES__"]);
    expect(JSON.parse(define.__APPROVAL_POLICIES__ ?? "")).toEqual(document);
  });
});

describe("approvalPolicies", () => {
  it("reads the policies once and hands the same set to every later caller", () => {
    expect(approvalPolicies()).toBe(approvalPolicies());
  });
});
