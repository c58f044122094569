/**
 * The portal's pages that messages link to (email, Slack, Teams): built here so every channel sends
 * readers to the same place.
 */

/** The request's page: its status and its approval; with an action, it opens that dialog (sign-in first). */
export const requestPageUrl = (publicUrl: string, requestId: string, action?: "extend" | "release"): string =>
  `${publicUrl}/requests/${encodeURIComponent(requestId)}${action ? `?action=${action}` : ""}`;

/** The Approvals page, where each approver finds what waits for them. */
export const approvalsPageUrl = (publicUrl: string): string => `${publicUrl}/approvals`;
