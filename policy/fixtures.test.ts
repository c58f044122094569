import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NoPolicyFixturesError, runPolicyFixtures } from "./fixtures.ts";

const REQUEST = {
  requester: { email: "requester@example.com", groups: ["requesters"] },
  resource: { type: "ec2", instanceType: "m7i.large", os: "ubuntu-24.04" },
  justification: "load tests",
};

describe("the policy fixtures of policies/tests (npm run policy -- test)", () => {
  it.each(runPolicyFixtures())("$fixture gets the policy and outcome it expects", ({ passed, detail }) => {
    expect(passed, detail).toBe(true);
  });
});

describe("runPolicyFixtures", () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), "policy-fixtures-"));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  const write = (name: string, content: unknown) =>
    writeFileSync(join(directory, name), typeof content === "string" ? content : JSON.stringify(content));

  it("reports a fixture that gets another policy or outcome, with what it got and why", () => {
    write("wrong.json", { request: REQUEST, expect: { policy: "large-instances", outcome: "stages" } });

    expect(runPolicyFixtures(directory)).toEqual([
      {
        fixture: "wrong.json",
        passed: false,
        detail:
          'expected "large-instances" (stages), got "default" (stages); ' +
          'matched "default": the last policy decides every request the others do not match',
      },
    ]);
  });

  it("reads the policy file a fixture names relative to the fixture", () => {
    mkdirSync(join(directory, "files"));
    write("files/deny-all.json", {
      policies: [{ name: "closed", deny: { reason: "frozen for the audit" } }],
    });
    write("frozen.json", {
      policies: "files/deny-all.json",
      request: REQUEST,
      expect: { policy: "closed", outcome: "deny" },
    });

    expect(runPolicyFixtures(directory)).toEqual([
      { fixture: "frozen.json", passed: true, detail: '"closed" (deny)' },
    ]);
  });

  it("fails a malformed fixture, an invalid request and a bad policy file, each with its problem", () => {
    write("a-not-json.json", "{");
    write("b-no-expect.json", { request: REQUEST });
    write("c-bad-request.json", {
      request: { ...REQUEST, justification: "" },
      expect: { policy: "default", outcome: "stages" },
    });
    write("d-bad-policies.json", {
      policies: "nowhere.json",
      request: REQUEST,
      expect: { policy: "default", outcome: "stages" },
    });

    const results = runPolicyFixtures(directory);

    expect(results.map(({ passed }) => passed)).toEqual([false, false, false, false]);
    expect(results[0]?.detail).toMatch(/^cannot be read as JSON \(/);
    expect(results[1]?.detail).toBe("expect is required");
    expect(results[2]?.detail).toBe(
      "Invalid request in c-bad-request.json (request): justification must not be empty",
    );
    expect(results[3]?.detail).toContain(
      `Invalid approval policies in ${join(directory, "nowhere.json")}: the file cannot be read`,
    );
  });

  it("refuses a directory without fixtures, so a run that checks nothing cannot pass", () => {
    expect(() => runPolicyFixtures(directory)).toThrow(NoPolicyFixturesError);
    expect(() => runPolicyFixtures(join(directory, "missing"))).toThrow(NoPolicyFixturesError);
  });
});
