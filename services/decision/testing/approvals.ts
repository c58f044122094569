import type { ApprovalRequested } from "../../../events/approval-requested.ts";
import type { DetailOf } from "../../../events/contract.ts";
import type { AcceptedRequest } from "../../../events/request.ts";
import { hashesOf, type IssuedLinks, issueLinks } from "../../shared/testing/decision-tokens.ts";
import { askedApprovalOf } from "../domain.ts";
import type { ApprovalStore } from "../store.ts";

/** Fixtures of the approvals table for the decision tests. */

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
  }: { request: AcceptedRequest; approvers: string[]; expiresAt: Date; createdAt: Date },
): Promise<IssuedLinks> => {
  const links = issueLinks({ requestId: request.requestId, approvers, expiresAt });
  await store.createIfAbsent(
    askedApprovalOf(approvalRequestedFor({ request, links, expiresAt, requestedAt: createdAt })),
  );
  return links;
};
