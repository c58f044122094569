import { realpathSync } from "node:fs";
import { relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { NoPolicyFixturesError, POLICY_FIXTURES_DIRECTORY, runPolicyFixtures } from "../policy/fixtures.ts";
import {
  type Approvers,
  DEFAULT_POLICY_FILE,
  evaluate,
  type LeaseLimits,
  loadPolicies,
  loadPolicyRequest,
  PolicyFileError,
  type PolicyOutcome,
  PolicyRequestError,
} from "../policy/index.ts";
import { ConfigError, env, loadConfig } from "../services/shared/config.ts";
import { LeaseSettingsError, loadLeaseLimits } from "../services/shared/lease-settings.ts";

const USAGE = `Usage:
  npm run policy -- test [DIRECTORY]
      runs the policy fixtures in DIRECTORY (default policies/tests): each request must get the
      policy and outcome it expects, and the lease it expects within LEASE_DEFAULT, LEASE_MIN and
      LEASE_MAX (as the stack reads them, default P7D, PT1H, P90D)
  npm run policy -- explain REQUEST.json [--policies FILE]
      prints which policy decides the request and why; FILE defaults to APPROVAL_POLICIES, else
      policies/approval-policies.json`;

/** The policy CLI's environment: the policy file local mode uses, and where `npm run` was started. */
const loadPolicyCliConfig = (environment: Record<string, string | undefined> = process.env) =>
  loadConfig({ APPROVAL_POLICIES: env.text().optional(), INIT_CWD: env.text().optional() }, environment);

class UsageError extends Error {
  override readonly name = "UsageError";
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A policy's wait as a person says it: "2 days", "1 h 30 min", "0.5 s". */
export const formatDuration = (milliseconds: number): string => {
  const parts: string[] = [];
  let rest = milliseconds;
  for (const [size, unit] of [
    [DAY, "day"],
    [HOUR, "h"],
    [MINUTE, "min"],
  ] as const) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(unit === "day" ? `${count} day${count === 1 ? "" : "s"}` : `${count} ${unit}`);
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest / 1000} s`);
  return parts.join(" ");
};

const approversText = ({ groups, emails }: Approvers): string =>
  [
    ...(groups.length > 0 ? [`group${groups.length === 1 ? "" : "s"} ${groups.join(", ")}`] : []),
    ...emails,
  ].join(" or ");

const outcomeLines = (outcome: PolicyOutcome): string[] => {
  if (outcome.kind !== "stages") return [`Outcome  ${outcome.kind}: ${outcome.reason}`];
  const waits = [
    outcome.expiresAfterMs !== undefined && `expires after ${formatDuration(outcome.expiresAfterMs)}`,
    outcome.reminders &&
      `reminders every ${formatDuration(outcome.reminders.everyMs)}, at most ${outcome.reminders.max}`,
    outcome.escalation &&
      `escalation after ${formatDuration(outcome.escalation.afterMs)} to ${approversText(outcome.escalation.to)}`,
  ].filter(Boolean);
  return [
    "Outcome  stages",
    ...outcome.stages.map(
      ({ name, approvers, quorum }, index) =>
        `  ${index + 1}. ${name}: ${
          quorum === "all" ? "every approver" : `${quorum} approval${quorum === 1 ? "" : "s"}`
        } from ${approversText(approvers)}`,
    ),
    ...(waits.length > 0 ? [`  ${waits.join("; ")}`] : []),
  ];
};

/** `explain`: which policy of the file decides the request in the file, what it decides, and why. */
export const explainRequest = (requestFile: string, policyFile: string): string => {
  const policies = loadPolicies(policyFile);
  const decision = evaluate(policies, loadPolicyRequest(requestFile));
  return [
    `Policy   ${decision.policy.name} (${decision.policy.hash}) from ${relative(process.cwd(), policyFile)}`,
    ...outcomeLines(decision.outcome),
    "Why",
    ...decision.why.map((line) => `  ${line}`),
  ].join("\n");
};

/** `test`: every fixture's result, then a count; `failed` says whether the run must fail. */
export const testPolicyFixtures = (
  directory: string,
  leaseLimits: LeaseLimits,
): { report: string; failed: number } => {
  const results = runPolicyFixtures(leaseLimits, directory);
  const failed = results.filter(({ passed }) => !passed).length;
  const lines = results.map(
    ({ fixture, passed, detail }) => `${passed ? "ok  " : "FAIL"}  ${fixture}: ${detail}`,
  );
  return { report: [...lines, `${results.length - failed} passed, ${failed} failed`].join("\n"), failed };
};

const isEntryPoint = process.argv[1] !== undefined && realpathSync(process.argv[1]) === import.meta.filename;

if (isEntryPoint) {
  try {
    const { values, positionals } = (() => {
      try {
        return parseArgs({ allowPositionals: true, options: { policies: { type: "string" } } });
      } catch (error) {
        throw new UsageError(`${(error as Error).message}\n${USAGE}`);
      }
    })();
    const config = loadPolicyCliConfig();
    // npm runs scripts from the repository root; paths on the command line are the caller's.
    const fromCaller = (path: string) => resolve(config.INIT_CWD ?? process.cwd(), path);
    const [command, ...operands] = positionals;
    if (command === "test" && operands.length <= 1 && values.policies === undefined) {
      const [directory] = operands;
      const { report, failed } = testPolicyFixtures(
        directory === undefined ? POLICY_FIXTURES_DIRECTORY : fromCaller(directory),
        loadLeaseLimits(),
      );
      console.log(report);
      if (failed > 0) process.exitCode = 1;
    } else if (command === "explain" && operands.length === 1 && operands[0] !== undefined) {
      // APPROVAL_POLICIES is read as `npm start` reads it, from the repository root.
      const policyFile =
        values.policies === undefined
          ? resolve(config.APPROVAL_POLICIES ?? DEFAULT_POLICY_FILE)
          : fromCaller(values.policies);
      console.log(explainRequest(fromCaller(operands[0]), policyFile));
    } else {
      throw new UsageError(USAGE);
    }
  } catch (error) {
    const expected = [
      UsageError,
      ConfigError,
      LeaseSettingsError,
      PolicyFileError,
      PolicyRequestError,
      NoPolicyFixturesError,
    ].some((kind) => error instanceof kind);
    console.error(expected ? (error as Error).message : error);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}
