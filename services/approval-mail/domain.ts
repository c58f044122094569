import { canonicalEmail } from "../shared/canonical-email.ts";

/**
 * Who is asked and until when. Pure: the handler passes the configuration, the request and the clock.
 */

export const NO_APPROVER_REASON =
  "No approver other than the requester is configured, so nobody can approve this request.";

/**
 * The configured approvers, once each (lower-cased), never the requester: no approver whose mailbox
 * is the requester's by `canonicalEmail`, so a request filed as `approver+me@` is not mailed to
 * `approver@`. Approvers are configured by email alone, so there is no subject to compare here;
 * decision compares it when someone decides signed in.
 */
export const selectApprovers = (configured: readonly string[], requesterEmail: string): string[] => {
  const requester = canonicalEmail(requesterEmail);
  return [...new Set(configured.map((approver) => approver.toLowerCase()))].filter(
    (approver) => canonicalEmail(approver) !== requester,
  );
};

/** Deadlines are whole seconds: the token carries epoch seconds and must match the stored expiry. */
export const approvalDeadline = (now: Date, ttlSeconds: number): Date =>
  new Date((Math.floor(now.getTime() / 1000) + ttlSeconds) * 1000);
