import type { MatchingPolicy, Policy, PolicySet } from "./load.ts";
import type { PolicyRequest } from "./request.ts";
import type { LeaseRules, PolicyOutcome } from "./schema.ts";

/** Which policy decides a request, what it decides, and why in words. */
export interface PolicyDecision {
  policy: { name: string; hash: string };
  outcome: PolicyOutcome;
  /** What the policy says of leases (policy/lease.ts applies it). */
  lease: LeaseRules;
  /** Each policy tried before it and why it was skipped, then why this one applies. */
  readonly why: string[];
}

/** Long enough for an instance type or a list of groups; a justification is cut short. */
const SHOWN_VALUE_MAX_LENGTH = 60;

/** A field of the request as a reason names it: its path, and its value where one plain lookup finds it. */
const fieldWithValue = (request: object, path: string): string => {
  let node: unknown = request;
  for (const key of path.split(".")) {
    // Through an array, a path names many values: the path alone says enough.
    if (Array.isArray(node)) return path;
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) return `${path} (absent)`;
    node = (node as Record<string, unknown>)[key];
  }
  const json = JSON.stringify(node);
  const shown = json.length > SHOWN_VALUE_MAX_LENGTH ? `${json.slice(0, SHOWN_VALUE_MAX_LENGTH - 1)}…` : json;
  return `${path} (${shown})`;
};

const fieldsNotAccepted = (request: object, paths: string[]): string =>
  paths.length === 0
    ? "each field matches, but in different elements of one array"
    : paths.map((path) => fieldWithValue(request, path)).join(", ");

const whySkipped = ({ name, match }: MatchingPolicy, request: PolicyRequest): string => {
  const alternatives = match.mismatches(request);
  const [only] = alternatives;
  const reason =
    alternatives.length === 1 && only
      ? `its match does not accept ${fieldsNotAccepted(request, only)}`
      : `none of the ${alternatives.length} alternatives of its match accepts the request (${alternatives
          .map((paths, index) => `${index + 1}: ${fieldsNotAccepted(request, paths)}`)
          .join("; ")})`;
  return `skipped "${name}": ${reason}`;
};

/** The explanation is worked out when first read: it costs several times the decision itself. */
const decisionOf = (
  { name, hash, outcome, lease }: Policy,
  skipped: readonly MatchingPolicy[],
  request: PolicyRequest,
  whyMatched: string,
): PolicyDecision => {
  let why: string[] | undefined;
  return {
    policy: { name, hash },
    outcome,
    lease,
    get why() {
      why ??= [...skipped.map((policy) => whySkipped(policy, request)), whyMatched];
      return why;
    },
  };
};

/** Decides which policy applies to a request: the first whose match accepts it, or else the file's last policy. */
export const evaluate = (policies: PolicySet, request: PolicyRequest): PolicyDecision => {
  const skipped: MatchingPolicy[] = [];
  for (const policy of policies.conditional) {
    if (policy.match.matches(request)) {
      return decisionOf(policy, skipped, request, `matched "${policy.name}": its match accepts the request`);
    }
    skipped.push(policy);
  }
  return decisionOf(
    policies.fallback,
    skipped,
    request,
    `matched "${policies.fallback.name}": the last policy decides every request the others do not match`,
  );
};
