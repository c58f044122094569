import type { AcceptedRequest } from "../../../events/request.ts";
import type { AskedApproval } from "../domain.ts";
import type { ApprovalStore } from "../store.ts";
import { createDecisionToken, type DecisionAction, hashToken } from "../token.ts";

/** Fixtures of decision links and the approvals table, shared by the approval-mail and decision tests. */

export const TEST_KEY = Buffer.from("key-for-tests-only-0123456789abcdef", "utf8");

/** Rewrites one dot-separated segment of a token, keeping the others (and so the original MAC). */
export const withSegment = (token: string, index: number, value: string) =>
  token
    .split(".")
    .map((segment, position) => (position === index ? value : segment))
    .join(".");

export type IssuedLinks = Record<string, Record<DecisionAction, string>>;

/** Stores a pending approval as approval-mail would and returns each approver's tokens. */
export const seedPendingApproval = async (
  store: ApprovalStore,
  {
    request,
    approvers,
    expiresAt,
    createdAt,
  }: { request: AcceptedRequest; approvers: string[]; expiresAt: Date; createdAt: Date },
): Promise<IssuedLinks> => {
  let nonce = 0;
  const random = (size: number) => Buffer.alloc(size, ++nonce);
  const links: IssuedLinks = {};
  for (const approver of approvers) {
    const issue = (action: DecisionAction) =>
      createDecisionToken({ requestId: request.requestId, action, approver, expiresAt }, TEST_KEY, random);
    links[approver] = { approve: issue("approve"), reject: issue("reject") };
  }
  const record: AskedApproval = {
    requestId: request.requestId,
    request,
    requesterEmail: request.requester.email.toLowerCase(),
    createdAt: createdAt.toISOString(),
    status: "PENDING",
    approvers,
    grants: Object.fromEntries(
      Object.entries(links).map(([approver, tokens]) => [
        approver,
        {
          approve: [hashToken(tokens.approve)],
          reject: [hashToken(tokens.reject)],
          mailSentAt: createdAt.toISOString(),
        },
      ]),
    ),
    expiresAt: expiresAt.toISOString(),
    sweepTask: "EXPIRE",
    sweepAt: expiresAt.toISOString(),
  };
  await store.createIfAbsent(record);
  return links;
};
