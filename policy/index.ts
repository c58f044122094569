/**
 * Approval policies: which policy decides a request, and how (docs/POLICIES.md). The services, both
 * runtimes and `npm run policy` import this module; it depends only on the catalog and lib/.
 */

export { evaluate, type PolicyDecision } from "./evaluate.ts";
export {
  type ExtensionVerdict,
  judgeExtension,
  type LeaseLimits,
  type LeaseSettlement,
  settleLease,
} from "./lease.ts";
export {
  DEFAULT_POLICY_FILE,
  loadPolicies,
  type MatchingPolicy,
  type Policy,
  PolicyFileError,
  type PolicySet,
  parsePolicies,
  policyHash,
} from "./load.ts";
export {
  loadPolicyRequest,
  type PolicyRequest,
  PolicyRequestError,
  parsePolicyRequest,
} from "./request.ts";
export type { Approvers, LeaseRules, PolicyOutcome, Stage } from "./schema.ts";
