import { parseDuration } from "../events/duration.ts";
import { DEFAULT_END_ACTIONS, type LeaseTerms } from "../events/lease.ts";
import { NO_END, type RequestedLease } from "../events/lease-duration.ts";
import type { ResourceType } from "../events/request.ts";
import type { PolicyDecision } from "./evaluate.ts";

/**
 * How a policy's lease rules (`lease` in the policy file, LeaseRules) settle a request's lease and
 * decide its extensions, within the deployment's bounds. Pure: decision applies it when a request is
 * accepted and when an extension is asked for.
 */

/** The deployment's bounds on every lease (LEASE_DEFAULT, LEASE_MIN, LEASE_MAX), as ISO 8601 durations. */
export interface LeaseLimits {
  default: string;
  min: string;
  max: string;
}

export type LeaseSettlement = { ok: true; terms: LeaseTerms } | { ok: false; reason: string };

const longer = (a: string, b: string): boolean => parseDuration(a) > parseDuration(b);

/** The shorter of two bounds, as written. */
const shorterOf = (a: string, b: string): string => (longer(a, b) ? b : a);

/**
 * A request's lease under the policy that decides it: the one it asked for, else the policy's default,
 * else the deployment's (never longer than the policy allows); refused, with the reason in words, when
 * it asks for no end the policy does not allow or for longer than the policy's max.
 */
export const settleLease = (
  { policy, lease: rules }: Pick<PolicyDecision, "policy" | "lease">,
  requested: RequestedLease | undefined,
  resourceType: ResourceType,
  limits: LeaseLimits,
): LeaseSettlement => {
  const onEnd =
    resourceType === "s3"
      ? DEFAULT_END_ACTIONS.s3
      : (rules.onEnd[resourceType] ?? DEFAULT_END_ACTIONS[resourceType]);
  const max = rules.max === undefined ? limits.max : shorterOf(rules.max, limits.max);
  if (requested === NO_END) {
    return rules.noEnd
      ? { ok: true, terms: { duration: null, onEnd, max: null } }
      : {
          ok: false,
          reason: `lease: policy "${policy.name}" does not allow a lease with no end; ask for at most ${max}`,
        };
  }
  if (requested !== undefined && longer(requested, max)) {
    return {
      ok: false,
      reason: `lease: ${requested} is longer than the ${max} policy "${policy.name}" allows`,
    };
  }
  const duration = requested ?? shorterOf(rules.default ?? limits.default, max);
  return { ok: true, terms: { duration, onEnd, max } };
};

export type ExtensionVerdict =
  | { kind: "approve"; reason: string }
  | { kind: "refuse"; reason: string }
  /** To the policy's stages of approvers, like a request. */
  | { kind: "ask" };

/**
 * An extension of a running lease to `until`, under the policy that decides the request now: refused
 * beyond the lease's max (counted from `startedAt`); approved by an auto-approving policy, or within
 * the policy's `autoExtendUpTo`; refused by a denying policy; otherwise asked of its approvers.
 */
export const judgeExtension = (
  { policy, outcome, lease: rules }: Pick<PolicyDecision, "policy" | "outcome" | "lease">,
  terms: LeaseTerms,
  startedAt: Date,
  until: Date,
): ExtensionVerdict => {
  const totalMs = until.getTime() - startedAt.getTime();
  if (terms.max !== null && totalMs > parseDuration(terms.max)) {
    return {
      kind: "refuse",
      reason: `the lease would run longer than the ${terms.max} policy "${policy.name}" allows from provisioning`,
    };
  }
  if (outcome.kind === "deny") return { kind: "refuse", reason: outcome.reason };
  if (outcome.kind === "autoApprove") return { kind: "approve", reason: outcome.reason };
  if (rules.autoExtendUpTo !== undefined && totalMs <= parseDuration(rules.autoExtendUpTo)) {
    return {
      kind: "approve",
      reason: `within the ${rules.autoExtendUpTo} policy "${policy.name}" extends without asking`,
    };
  }
  return { kind: "ask" };
};
