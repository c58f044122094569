import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { mustBe } from "../events/fields.ts";
import { type LeaseTerms, leaseTermsSchema } from "../events/lease.ts";
import { requestedLeaseSchema } from "../events/lease-duration.ts";
import { fieldErrorsOf } from "../events/validation.ts";
import { evaluate } from "./evaluate.ts";
import { type LeaseLimits, type LeaseSettlement, settleLease } from "./lease.ts";
import { DEFAULT_POLICY_FILE, loadPolicies, PolicyFileError, type PolicySet } from "./load.ts";
import { PolicyRequestError, parsePolicyRequest } from "./request.ts";
import { OUTCOME_KINDS } from "./schema.ts";

/**
 * Policy fixtures (`policies/tests/*.json`): a request and the policy and outcome it must get, from
 * the repository's policy file or the one `policies` names (relative to the fixture), and, when it
 * says so, the lease the policy settles for it (within the deployment's lease limits, which the caller
 * passes in: policy/ reads no configuration). `npm run policy -- test` and the unit tests run them
 * through `runPolicyFixtures`, so CI checks what the CLI checks.
 */

export const POLICY_FIXTURES_DIRECTORY = fileURLToPath(new URL("../policies/tests", import.meta.url));

const fixtureSchema = z.strictObject(
  {
    description: z.string(mustBe("a string")).optional(),
    policies: z.string(mustBe("the path of a policy file")).min(1, "must not be empty").optional(),
    request: z.unknown(),
    /** The lease the request asks for (a request's `lease`); policies do not match on it, so it is not in `request`. */
    lease: requestedLeaseSchema.optional(),
    expect: z.strictObject(
      {
        policy: z.string(mustBe("a policy name")),
        outcome: z.enum(OUTCOME_KINDS, mustBe(OUTCOME_KINDS.join(", "))),
        /** The terms the policy settles, or a part of the reason it refuses the lease with. */
        lease: z
          .union(
            [leaseTermsSchema, z.strictObject({ refused: z.string().min(1, "must not be empty") })],
            mustBe('the lease terms {duration, onEnd, max}, or {"refused": "part of the reason"}'),
          )
          .optional(),
      },
      mustBe("an object with policy and outcome"),
    ),
  },
  mustBe("an object with request and expect"),
);

export interface FixtureResult {
  /** The fixture's file name. */
  fixture: string;
  passed: boolean;
  /** What was decided; for a failure, how it differs from what was expected, or why it could not run. */
  detail: string;
}

/** A fixtures directory that holds no fixture: a test run that checks nothing must not pass. */
export class NoPolicyFixturesError extends Error {
  override readonly name = "NoPolicyFixturesError";
}

/** A fixture file that cannot be run as one. */
class InvalidFixtureError extends Error {
  override readonly name = "InvalidFixtureError";
}

const readFixture = (path: string) => {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new InvalidFixtureError(`cannot be read as JSON (${(error as Error).message})`, { cause: error });
  }
  const result = fixtureSchema.safeParse(json);
  if (!result.success) {
    const problems = fieldErrorsOf(result.error).map(({ field, message }) => `${field} ${message}`.trim());
    throw new InvalidFixtureError(problems.join("; "), { cause: result.error });
  }
  return result.data;
};

type ExpectedLease = LeaseTerms | { refused: string };

const termsInWords = ({ duration, onEnd, max }: LeaseTerms): string =>
  `${duration ?? "no end"}, ${onEnd}, max ${max ?? "none"}`;

const settlementInWords = (lease: LeaseSettlement): string =>
  lease.ok ? `lease ${termsInWords(lease.terms)}` : `lease refused: ${lease.reason}`;

const expectedInWords = (expected: ExpectedLease): string =>
  "refused" in expected ? `lease refused with "${expected.refused}"` : `lease ${termsInWords(expected)}`;

const settledAsExpected = (lease: LeaseSettlement, expected: ExpectedLease): boolean =>
  "refused" in expected
    ? !lease.ok && lease.reason.includes(expected.refused)
    : lease.ok && (["duration", "onEnd", "max"] as const).every((key) => lease.terms[key] === expected[key]);

const runFixture = (
  path: string,
  policiesAt: (file: string) => PolicySet,
  leaseLimits: LeaseLimits,
): FixtureResult => {
  const fixture = basename(path);
  try {
    const { policies, request, lease: asked, expect } = readFixture(path);
    const policySet = policiesAt(
      policies === undefined ? DEFAULT_POLICY_FILE : resolve(dirname(path), policies),
    );
    const policyRequest = parsePolicyRequest(request, `${fixture} (request)`);
    const decision = evaluate(policySet, policyRequest);
    const got = `"${decision.policy.name}" (${decision.outcome.kind})`;
    if (decision.policy.name !== expect.policy || decision.outcome.kind !== expect.outcome) {
      return {
        fixture,
        passed: false,
        detail: `expected "${expect.policy}" (${expect.outcome}), got ${got}; ${decision.why.join("; ")}`,
      };
    }
    if (expect.lease === undefined) return { fixture, passed: true, detail: got };
    const lease = settleLease(decision, asked, policyRequest.resource.type, leaseLimits);
    const settled = `${got}, ${settlementInWords(lease)}`;
    return settledAsExpected(lease, expect.lease)
      ? { fixture, passed: true, detail: settled }
      : { fixture, passed: false, detail: `expected ${expectedInWords(expect.lease)}, got ${settled}` };
  } catch (error) {
    if (![InvalidFixtureError, PolicyFileError, PolicyRequestError].some((kind) => error instanceof kind)) {
      throw error;
    }
    return { fixture, passed: false, detail: (error as Error).message };
  }
};

/**
 * Runs every `*.json` fixture of the directory, in name order, settling the leases they expect within
 * `leaseLimits` (the deployment's LEASE_DEFAULT, LEASE_MIN, LEASE_MAX); each policy file is loaded once.
 */
export const runPolicyFixtures = (
  leaseLimits: LeaseLimits,
  directory: string = POLICY_FIXTURES_DIRECTORY,
): FixtureResult[] => {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch (error) {
    throw new NoPolicyFixturesError(`No policy fixtures: ${(error as Error).message}`, { cause: error });
  }
  const files = names.filter((name) => name.endsWith(".json")).sort();
  if (files.length === 0) throw new NoPolicyFixturesError(`No policy fixtures (*.json) in ${directory}`);
  const loaded = new Map<string, PolicySet>();
  const policiesAt = (file: string): PolicySet => {
    let policies = loaded.get(file);
    if (!policies) {
      policies = loadPolicies(file);
      loaded.set(file, policies);
    }
    return policies;
  };
  return files.map((file) => runFixture(join(directory, file), policiesAt, leaseLimits));
};
