/**
 * Who is asked and until when. Pure: the handler passes the configuration, the request and the clock.
 */

export const NO_APPROVER_REASON =
  "No approver other than the requester is configured, so nobody can approve this request.";

/** The configured approvers, once each, never the requester (compared case-insensitively). */
export const selectApprovers = (configured: readonly string[], requesterEmail: string): string[] => {
  const requester = requesterEmail.toLowerCase();
  return [...new Set(configured.map((approver) => approver.toLowerCase()))].filter(
    (approver) => approver !== requester,
  );
};

/** Deadlines are whole seconds: the token carries epoch seconds and must match the stored expiry. */
export const approvalDeadline = (now: Date, ttlSeconds: number): Date =>
  new Date((Math.floor(now.getTime() / 1000) + ttlSeconds) * 1000);
