import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import {
  APPROVAL_ACTIONS,
  type ApprovalAction,
  LINK_DECISION_PAGE,
  linkFragmentOf,
} from "../../api/approvals.ts";

/**
 * Decision links, the one thing approval-mail (which signs them) and decision (which verifies them)
 * share besides the bus. A token is
 *   v1 . requestId . base64url(approver) . expiry (epoch seconds) . nonce . HMAC-SHA256
 * where the MAC covers (version, requestId, action, approver, expiry, nonce). The action is not in the
 * token but comes from the link's path, so an approve token cannot be replayed as a reject and vice
 * versa. Everything a decision needs is in the token and checked against the MAC before any database
 * read; the database only ever holds sha256(token).
 */

export const DECISION_ACTIONS = APPROVAL_ACTIONS;
export type DecisionAction = ApprovalAction;

/** The decision pages' paths: the links in the emails and the routes that serve them. */
export const DECISION_PATHS: Record<DecisionAction, string> = {
  approve: "/decisions/approve",
  reject: "/decisions/reject",
};

/**
 * The link an approval email carries: the decision page with the token in its query, or, where
 * decisions require sign-in, the portal's page with the token in the fragment, which no server receives.
 */
export const decisionLink = (
  publicUrl: string,
  action: DecisionAction,
  token: string,
  { signInRequired = false }: { signInRequired?: boolean } = {},
): string =>
  signInRequired
    ? `${publicUrl}${LINK_DECISION_PAGE}#${linkFragmentOf({ action, token })}`
    : `${publicUrl}${DECISION_PATHS[action]}?token=${encodeURIComponent(token)}`;

const TOKEN_VERSION = "v1";
const NONCE_BYTES = 16;
const MAC_BYTES = 32;
/** Far above any real token (an email is at most 254 characters); longer input is refused unparsed. */
export const MAX_TOKEN_LENGTH = 1024;

const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const EXPIRY_SECONDS = /^[1-9][0-9]{0,11}$/;

export interface TokenClaims {
  requestId: string;
  action: DecisionAction;
  /** Lower-case email of the approver the link was sent to. */
  approver: string;
  /** Whole seconds: the token carries epoch seconds. */
  expiresAt: Date;
}

export type TokenProblem = "malformed" | "forged" | "expired";

export type TokenCheck = { valid: true; claims: TokenClaims } | { valid: false; problem: TokenProblem };

const macOf = (key: Buffer, claims: TokenClaims, expirySeconds: number, nonce: string): Buffer =>
  createHmac("sha256", key)
    // A JSON array keeps the fields apart whatever characters they hold.
    .update(
      JSON.stringify([TOKEN_VERSION, claims.requestId, claims.action, claims.approver, expirySeconds, nonce]),
    )
    .digest();

/** Decodes base64url only in its canonical form, so no two token strings carry the same bytes. */
const decodeCanonical = (encoded: string): Buffer | undefined => {
  if (!BASE64URL.test(encoded)) return undefined;
  const bytes = Buffer.from(encoded, "base64url");
  return bytes.toString("base64url") === encoded ? bytes : undefined;
};

export const createDecisionToken = (
  claims: TokenClaims,
  key: Buffer,
  randomBytes: (size: number) => Buffer,
): string => {
  const expirySeconds = Math.floor(claims.expiresAt.getTime() / 1000);
  const nonce = randomBytes(NONCE_BYTES).toString("base64url");
  return [
    TOKEN_VERSION,
    claims.requestId,
    Buffer.from(claims.approver, "utf8").toString("base64url"),
    String(expirySeconds),
    nonce,
    macOf(key, claims, expirySeconds, nonce).toString("base64url"),
  ].join(".");
};

/**
 * Checks a token presented on the path of `action`: its shape, then its MAC in constant time, then
 * its expiry. Only a token that passes all three yields claims.
 */
export const verifyDecisionToken = (
  token: string,
  action: DecisionAction,
  key: Buffer,
  now: Date,
): TokenCheck => {
  const malformed: TokenCheck = { valid: false, problem: "malformed" };
  if (token.length > MAX_TOKEN_LENGTH) return malformed;
  const [version, requestId, encodedApprover, expiry, nonce, encodedMac, ...extra] = token.split(".");
  if (
    version !== TOKEN_VERSION ||
    extra.length > 0 ||
    requestId === undefined ||
    !REQUEST_ID.test(requestId) ||
    expiry === undefined ||
    !EXPIRY_SECONDS.test(expiry) ||
    nonce === undefined ||
    decodeCanonical(nonce)?.length !== NONCE_BYTES
  ) {
    return malformed;
  }
  const approverBytes = decodeCanonical(encodedApprover ?? "");
  const presentedMac = decodeCanonical(encodedMac ?? "");
  if (!approverBytes || presentedMac?.length !== MAC_BYTES) return malformed;

  const expirySeconds = Number(expiry);
  const claims: TokenClaims = {
    requestId,
    action,
    approver: approverBytes.toString("utf8"),
    expiresAt: new Date(expirySeconds * 1000),
  };
  if (!timingSafeEqual(presentedMac, macOf(key, claims, expirySeconds, nonce))) {
    return { valid: false, problem: "forged" };
  }
  if (claims.expiresAt.getTime() <= now.getTime()) return { valid: false, problem: "expired" };
  return { valid: true, claims };
};

/**
 * What may be stored or published instead of the token: approval-mail announces these in
 * ApprovalRequested and decision checks presented links against them; a leaked hash is no usable link.
 */
export const hashToken = (token: string): string => createHash("sha256").update(token).digest("base64url");
