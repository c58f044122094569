import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadLeaseLimits } from "../services/shared/lease-settings.ts";
import { NoPolicyFixturesError, runPolicyFixtures } from "./fixtures.ts";

const REQUEST = {
  requester: { email: "requester@example.com", groups: ["requesters"] },
  resource: { type: "ec2", instanceType: "m7i.large", os: "ubuntu-24.04" },
  justification: "load tests",
};

/** The deployment's lease limits as shipped: P7D by default, from PT1H to P90D. */
const LIMITS = loadLeaseLimits({});

describe("the policy fixtures of policies/tests (npm run policy -- test)", () => {
  it.each(runPolicyFixtures(LIMITS))(
    "$fixture gets the policy, outcome and lease it expects",
    ({ passed, detail }) => {
      expect(passed, detail).toBe(true);
    },
  );
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

    expect(runPolicyFixtures(LIMITS, directory)).toEqual([
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

    expect(runPolicyFixtures(LIMITS, directory)).toEqual([
      { fixture: "frozen.json", passed: true, detail: '"closed" (deny)' },
    ]);
  });

  describe("with the lease a request gets", () => {
    /** A policy whose leases live 3 days by default, 30 at most, stopped at the end; none of them without an end. */
    const writeDevBoxes = () => {
      mkdirSync(join(directory, "files"));
      write("files/dev-boxes.json", {
        policies: [
          {
            name: "dev-boxes",
            autoApprove: { reason: "small boxes" },
            lease: { default: "P3D", max: "P30D", onEnd: { ec2: "stop" } },
          },
        ],
      });
    };
    const fixture = (lease: unknown, expected: unknown) => ({
      policies: "files/dev-boxes.json",
      request: REQUEST,
      ...(lease !== undefined && { lease }),
      expect: { policy: "dev-boxes", outcome: "autoApprove", lease: expected },
    });

    it("passes the terms the policy settles, or its refusal by a part of the reason", () => {
      writeDevBoxes();
      write("a-default.json", fixture(undefined, { duration: "P3D", onEnd: "stop", max: "P30D" }));
      write("b-no-end.json", fixture("none", { refused: "does not allow a lease with no end" }));

      expect(runPolicyFixtures(LIMITS, directory)).toEqual([
        {
          fixture: "a-default.json",
          passed: true,
          detail: '"dev-boxes" (autoApprove), lease P3D, stop, max P30D',
        },
        {
          fixture: "b-no-end.json",
          passed: true,
          detail:
            '"dev-boxes" (autoApprove), lease refused: lease: policy "dev-boxes" does not allow a lease with no end; ask for at most P30D',
        },
      ]);
    });

    it("fails terms or a refusal other than expected, saying what it got", () => {
      writeDevBoxes();
      write("a-longer.json", fixture("P10D", { duration: "P3D", onEnd: "stop", max: "P30D" }));
      write("b-not-refused.json", fixture("P10D", { refused: "longer than" }));

      expect(runPolicyFixtures(LIMITS, directory)).toEqual([
        {
          fixture: "a-longer.json",
          passed: false,
          detail:
            'expected lease P3D, stop, max P30D, got "dev-boxes" (autoApprove), lease P10D, stop, max P30D',
        },
        {
          fixture: "b-not-refused.json",
          passed: false,
          detail:
            'expected lease refused with "longer than", got "dev-boxes" (autoApprove), lease P10D, stop, max P30D',
        },
      ]);
    });

    it("settles within the deployment's limits it is given: a shorter LEASE_MAX lowers the policy's max", () => {
      writeDevBoxes();
      write("short.json", fixture("P14D", { refused: "P14D is longer than the P10D" }));

      expect(runPolicyFixtures(loadLeaseLimits({ LEASE_MAX: "P10D" }), directory)).toMatchObject([
        { fixture: "short.json", passed: true },
      ]);
      expect(runPolicyFixtures(LIMITS, directory)).toMatchObject([{ fixture: "short.json", passed: false }]);
    });
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

    const results = runPolicyFixtures(LIMITS, directory);

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
    expect(() => runPolicyFixtures(LIMITS, directory)).toThrow(NoPolicyFixturesError);
    expect(() => runPolicyFixtures(LIMITS, join(directory, "missing"))).toThrow(NoPolicyFixturesError);
  });
});
