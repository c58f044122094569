import type { ApprovalRequested } from "../../../events/approval-requested.ts";
import type { DetailOf } from "../../../events/contract.ts";
import type { LeaseTerms } from "../../../events/lease.ts";
import type { AcceptedRequest } from "../../../events/request.ts";
import { type DecisionAction, hashToken } from "../../shared/decision-token.ts";
import { createLocalDirectory, type Directory } from "../../shared/directory.ts";
import { loadLeaseLimits } from "../../shared/lease-settings.ts";
import { hashesOf, type IssuedLinks, issueLinks } from "../../shared/testing/decision-tokens.ts";
import { decide } from "../decide.ts";
import { askedApprovalOf } from "../domain.ts";
import type { ApprovalStore } from "../store.ts";

/** Fixtures of the approvals table for the decision tests. */

/** The deployment's lease bounds as shipped: P7D by default, from PT1H to P90D. */
export const DEFAULT_LEASE_LIMITS = loadLeaseLimits({});

/** The ApprovalRequested approval-mail publishes for links it issued. */
export const approvalRequestedFor = ({
  request,
  links,
  expiresAt,
  requestedAt,
}: {
  request: AcceptedRequest;
  links: IssuedLinks;
  expiresAt: Date;
  requestedAt: Date;
}): DetailOf<typeof ApprovalRequested> => ({
  requestId: request.requestId,
  request,
  approvers: Object.keys(links),
  linkHashes: hashesOf(links),
  expiresAt: expiresAt.toISOString(),
  requestedAt: requestedAt.toISOString(),
});

/** Stores a pending approval as its ApprovalRequested would and returns each approver's tokens. */
export const seedPendingApproval = async (
  store: ApprovalStore,
  {
    request,
    approvers,
    expiresAt,
    createdAt,
    lease,
  }: {
    request: AcceptedRequest;
    approvers: string[];
    expiresAt: Date;
    createdAt: Date;
    /** The terms its policy settled, as RequestAccepted's handler stores them. */
    lease?: LeaseTerms;
  },
): Promise<IssuedLinks> => {
  const links = issueLinks({ requestId: request.requestId, approvers, expiresAt });
  await store.createIfAbsent({
    ...askedApprovalOf(approvalRequestedFor({ request, links, expiresAt, requestedAt: createdAt })),
    ...(lease && { lease }),
  });
  return links;
};

const OUTCOME_EVENTS = new Set(["RequestApproved", "RequestRejected", "RequestExpired"]);

/**
 * A view of a recording publisher's events that holds only outcomes (approved, rejected, expired):
 * what tests of deciding judge, beside the vote and stage events every decision also publishes.
 */
export const outcomesOn = <Event extends { detailType: string }, Bus extends { published: Event[] }>(
  bus: Bus,
): Bus => ({
  ...bus,
  get published(): Event[] {
    return bus.published.filter((event) => OUTCOME_EVENTS.has(event.detailType));
  },
});

/** A directory in which `approvers` are the members of the group "approvers", as APPROVERS once listed them. */
export const approversDirectory = (approvers: readonly string[]): Directory =>
  createLocalDirectory(approvers.map((email) => ({ email, groups: ["approvers"] })));

/** Records `approver`'s vote with their link as the pages do, resolving to the approval written. */
export const voteWithLink = async (
  store: ApprovalStore,
  {
    requestId,
    approver,
    action,
    token,
    reason,
    now,
  }: {
    requestId: string;
    approver: string;
    action: DecisionAction;
    token: string;
    reason?: string;
    now: Date;
  },
) => {
  const result = await decide(
    { store, directory: approversDirectory([approver]) },
    {
      claims: { requestId, action, approver, expiresAt: new Date(now.getTime() + 3600_000) },
      tokenHash: hashToken(token),
      reason,
      now,
    },
  );
  if (!result.recorded || !("approval" in result))
    throw new Error(`The vote on ${requestId} was not recorded`);
  return result;
};
