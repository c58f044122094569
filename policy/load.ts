import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fieldErrorsOf } from "../events/validation.ts";
import { type CompiledMatch, type ParsedPolicy, policyFileSchema } from "./schema.ts";

/** The repository's policy file, used when APPROVAL_POLICIES (or the `approvalPolicies` context) names none. */
export const DEFAULT_POLICY_FILE = fileURLToPath(
  new URL("../policies/approval-policies.json", import.meta.url),
);

export interface Policy extends ParsedPolicy {
  /** Names this version of the policy: the first 12 hex digits of its canonical JSON's SHA-256. */
  hash: string;
}

export interface MatchingPolicy extends Policy {
  match: CompiledMatch;
}

/** A policy file, checked: its policies with a match in order, then the one that decides every other request. */
export interface PolicySet {
  /** The file it was read from. */
  source: string;
  conditional: readonly MatchingPolicy[];
  /** The file's last policy, which has no match. */
  fallback: Policy;
}

/** A policy file that cannot be used: every problem named with its policy, its field and what is wrong. */
export class PolicyFileError extends Error {
  override readonly name = "PolicyFileError";

  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`Invalid approval policies in ${file}: ${problems.join("; ")}`, options);
  }
}

/** JSON with every object's keys sorted, so the same policy hashes the same however it is laid out. */
const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(",")}}`;
  }
  return JSON.stringify(value);
};

/** A short hash of a policy as written in its file, which a decided request records beside its name. */
export const policyHash = (policy: unknown): string =>
  createHash("sha256").update(canonicalJson(policy)).digest("hex").slice(0, 12);

const POLICY_FIELD = /^policies\[(\d+)\](?:\.(.*))?$/s;

/** Says which policy a problem is in: by its name when it has one, otherwise by its position. */
const policyLabel = (policies: unknown, index: number): string => {
  const entry: unknown = Array.isArray(policies) ? policies[index] : undefined;
  const name = typeof entry === "object" && entry !== null ? (entry as { name?: unknown }).name : undefined;
  return typeof name === "string" && name !== "" ? `policy "${name}"` : `policies[${index}]`;
};

const problemOf = (policies: unknown, field: string, message: string): string => {
  const inPolicy = POLICY_FIELD.exec(field);
  if (!inPolicy) return field === "" ? message : `${field} ${message}`;
  const [, index, rest] = inPolicy;
  return `${policyLabel(policies, Number(index))}: ${rest === undefined ? message : `${rest} ${message}`}`;
};

/** What only the whole file shows: names used twice, and a policy matching everything that is not the last. */
const fileProblemsOf = (parsed: readonly ParsedPolicy[]): string[] => {
  const problems: string[] = [];
  const firstWithName = new Map<string, number>();
  parsed.forEach((policy, index) => {
    const earlier = firstWithName.get(policy.name);
    if (earlier === undefined) {
      firstWithName.set(policy.name, index);
      return;
    }
    problems.push(
      `policies[${index}]: name "${policy.name}" is already the name of policies[${earlier}]; names must be unique`,
    );
  });
  const lastIndex = parsed.length - 1;
  parsed.forEach((policy, index) => {
    if (index < lastIndex && policy.match === undefined) {
      const unreachable = parsed.slice(index + 1).map(({ name }) => `"${name}"`);
      problems.push(
        `policy "${policy.name}": match is missing or empty, so it matches every request and ${unreachable.join(", ")} after it would never be tried; only the last policy matches everything`,
      );
    }
  });
  const last = parsed[lastIndex];
  if (last?.match !== undefined) {
    problems.push(
      `policy "${last.name}": match must be left out: the last policy decides every request the others do not match, so a file must end with one that matches everything`,
    );
  }
  return problems;
};

/** Checks a policy file's JSON text (read from `source`) and compiles its patterns once. */
export const parsePolicies = (text: string, source: string): PolicySet => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PolicyFileError(source, [`the file is not JSON (${(error as Error).message})`], {
      cause: error,
    });
  }
  const result = policyFileSchema.safeParse(json);
  const rawPolicies = (json as { policies?: unknown } | null)?.policies;
  if (!result.success) {
    const problems = fieldErrorsOf(result.error).map(({ field, message }) =>
      problemOf(rawPolicies, field, message),
    );
    throw new PolicyFileError(source, problems, { cause: result.error });
  }
  const parsed = result.data.policies;
  const problems = fileProblemsOf(parsed);
  if (problems.length > 0) throw new PolicyFileError(source, problems);
  const policies = parsed.map((policy, index) => ({
    ...policy,
    hash: policyHash((rawPolicies as unknown[])[index]),
  }));
  // fileProblemsOf has made sure that every policy but the last has a match, and the last has none.
  const fallback = policies.pop() as Policy;
  return { source, conditional: policies as MatchingPolicy[], fallback };
};

/** Reads and checks the policy file at `path`; a missing, unreadable or invalid file throws PolicyFileError. */
export const loadPolicies = (path: string): PolicySet => {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new PolicyFileError(path, [`the file cannot be read (${(error as Error).message})`], {
      cause: error,
    });
  }
  return parsePolicies(text, path);
};
