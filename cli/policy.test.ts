import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PolicyFileError } from "../policy/index.ts";
import { loadLeaseLimits } from "../services/shared/lease-settings.ts";
import { explainRequest, formatDuration, testPolicyFixtures } from "./policy.ts";

const run = promisify(execFile);
const REPOSITORY = join(import.meta.dirname, "..");
const EXAMPLE = join(REPOSITORY, "policies", "examples", "ec2-by-size.json");

const REQUEST = {
  requester: { email: "requester@example.com", groups: ["requesters"] },
  resource: { type: "ec2", instanceType: "m7g.large", os: "amazon-linux-2023" },
  justification: "load tests",
};

let directory: string;
let requestFile: string;
/** Holds one fixture, which expects what the example file does not decide. */
let failingFixtures: string;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "policy-cli-"));
  requestFile = join(directory, "request.json");
  writeFileSync(requestFile, JSON.stringify(REQUEST));
  failingFixtures = join(directory, "fixtures");
  mkdirSync(failingFixtures);
  writeFileSync(
    join(failingFixtures, "wrong.json"),
    JSON.stringify({
      policies: EXAMPLE,
      request: REQUEST,
      expect: { policy: "small-dev-boxes", outcome: "autoApprove" },
    }),
  );
});

afterAll(() => rmSync(directory, { recursive: true, force: true }));

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as `npm run policy` does; settles with its exit code and output, never rejects. */
const cli = (...args: string[]): Promise<CliRun> =>
  run(process.execPath, ["--import", "tsx", "cli/policy.ts", ...args], {
    cwd: REPOSITORY,
    env: { PATH: process.env.PATH },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    ({ code, stdout, stderr }: CliRun) => ({ code, stdout, stderr }),
  );

const INVALID_REQUEST = { ...REQUEST, justification: "" };

/** Each process takes seconds to start: they all start at once, and each test reads its own. */
let runs: Record<"explainDefault" | "invalidRequest" | "failingFixture" | "unknownCommand", Promise<CliRun>>;
let invalidRequestFile: string;

beforeAll(() => {
  invalidRequestFile = join(directory, "invalid-request.json");
  writeFileSync(invalidRequestFile, JSON.stringify(INVALID_REQUEST));
  runs = {
    explainDefault: cli("explain", requestFile),
    invalidRequest: cli("explain", invalidRequestFile),
    failingFixture: cli("test", failingFixtures),
    unknownCommand: cli("run"),
  };
});

describe("npm run policy -- explain", () => {
  it("prints the policy that decides the request, its stages and waits, and why the others were skipped", () => {
    const explanation = explainRequest(requestFile, EXAMPLE);

    expect(explanation.split("\n").slice(1)).toEqual([
      "Outcome  stages",
      "  1. team leads: 2 approvals from group approvers",
      "  2. finance: 1 approval from operator@example.com",
      "  expires after 3 days; reminders every 1 day, at most 2; escalation after 2 days to group operators",
      "Why",
      '  skipped "small-dev-boxes": its match does not accept resource.instanceType ("m7g.large")',
      '  skipped "no-huge-volumes": its match does not accept resource.volume.sizeGiB (absent)',
      '  matched "large-instances": its match accepts the request',
    ]);
    expect(explanation.split("\n")[0]).toMatch(
      /^Policy {3}large-instances \([0-9a-f]{12}\) from .*ec2-by-size\.json$/,
    );
  });

  it("reads the repository's policy file unless --policies names another", async () => {
    expect((await runs.explainDefault).stdout).toContain("Policy   default (");
  });

  it("names the problem and exits 1 when the request is invalid", async () => {
    expect(await runs.invalidRequest).toMatchObject({
      code: 1,
      stderr: `Invalid request in ${invalidRequestFile}: justification must not be empty\n`,
    });
  });

  it("refuses an invalid policy file with its problems", () => {
    expect(() => explainRequest(requestFile, invalidRequestFile)).toThrow(PolicyFileError);
    expect(() => explainRequest(requestFile, invalidRequestFile)).toThrow(
      `Invalid approval policies in ${invalidRequestFile}: policies is required; requester is not a recognised field`,
    );
  });
});

describe("npm run policy -- test", () => {
  it("passes the repository's fixtures", () => {
    const { report, failed } = testPolicyFixtures(join(REPOSITORY, "policies", "tests"), loadLeaseLimits({}));

    expect(failed).toBe(0);
    expect(report).toMatch(/\n\d+ passed, 0 failed$/);
    expect(report).toContain('ok    ec2-by-size-huge-volume-denied.json: "no-huge-volumes" (deny)');
  });

  it("fails with exit code 1, naming the fixture and how its result differs", async () => {
    expect(await runs.failingFixture).toMatchObject({
      code: 1,
      stdout: expect.stringContaining(
        'FAIL  wrong.json: expected "small-dev-boxes" (autoApprove), got "large-instances" (stages); ',
      ),
    });
  });

  it("answers an unknown command with its usage and exit code 2", async () => {
    expect(await runs.unknownCommand).toMatchObject({ code: 2, stderr: expect.stringContaining("Usage:") });
  });
});

describe("formatDuration", () => {
  it("says a wait in days, hours, minutes and seconds", () => {
    expect(formatDuration(3 * 24 * 3600_000)).toBe("3 days");
    expect(formatDuration(24 * 3600_000)).toBe("1 day");
    expect(formatDuration(90 * 60_000)).toBe("1 h 30 min");
    expect(formatDuration(61_500)).toBe("1 min 1.5 s");
  });
});
