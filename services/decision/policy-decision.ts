import type { AcceptedRequest } from "../../events/request.ts";
import { evaluate, type PolicyDecision, type PolicySet } from "../../policy/index.ts";
import type { Directory } from "../shared/directory.ts";

/**
 * The policy that decides `request` now: the requester's groups asked of the directory, with the
 * request's resource, justification, region and estimate. The same for the request when it is accepted
 * and for each extension of its lease, so an extension goes to the policy the request would meet today.
 */
export const policyDecisionFor = async (
  directory: Directory,
  policies: PolicySet,
  request: AcceptedRequest,
): Promise<PolicyDecision> => {
  const groups = (await directory.userByEmail(request.requester.email))?.groups ?? [];
  return evaluate(policies, {
    requester: { ...request.requester, groups },
    resource: request.resource,
    justification: request.justification,
    ...(request.region !== undefined && { region: request.region }),
    ...(request.estimatedMonthlyCostUsd !== undefined && {
      estimatedMonthlyCostUsd: request.estimatedMonthlyCostUsd,
    }),
  });
};
