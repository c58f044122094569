import { createDecisionToken, type DecisionAction, hashToken } from "../decision-token.ts";

/** Decision links for the tests of the token kernel and of both services that use it. */

export const TEST_KEY = Buffer.from("key-for-tests-only-0123456789abcdef", "utf8");

/** Rewrites one dot-separated segment of a token, keeping the others (and so the original MAC). */
export const withSegment = (token: string, index: number, value: string) =>
  token
    .split(".")
    .map((segment, position) => (position === index ? value : segment))
    .join(".");

/** Each approver's approve and reject tokens. */
export type IssuedLinks = Record<string, Record<DecisionAction, string>>;

/** Signs an approve and a reject link for each approver, as approval-mail does, with distinct nonces. */
export const issueLinks = ({
  requestId,
  approvers,
  expiresAt,
}: {
  requestId: string;
  approvers: readonly string[];
  expiresAt: Date;
}): IssuedLinks => {
  let nonce = 0;
  const random = (size: number) => Buffer.alloc(size, ++nonce);
  return Object.fromEntries(
    approvers.map((approver) => {
      const issue = (action: DecisionAction) =>
        createDecisionToken({ requestId, action, approver, expiresAt }, TEST_KEY, random);
      return [approver, { approve: issue("approve"), reject: issue("reject") }];
    }),
  );
};

/** The hashes of issued links, as ApprovalRequested carries them. */
export const hashesOf = (links: IssuedLinks): Record<string, Record<DecisionAction, string[]>> =>
  Object.fromEntries(
    Object.entries(links).map(([approver, tokens]) => [
      approver,
      { approve: [hashToken(tokens.approve)], reject: [hashToken(tokens.reject)] },
    ]),
  );
