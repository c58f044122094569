/**
 * A request's status as the audit trail projects it from the flow's events (ARCHITECTURE.md's list):
 * the API filters by it, the portal labels it.
 */
export const REQUEST_STATUSES = [
  "SUBMITTED",
  "PENDING_APPROVAL",
  "APPROVED",
  "REJECTED",
  "EXPIRED",
  "CANCELLED",
  "INVALID",
  "PROVISIONING",
  "PROVISIONED",
  "FAILED",
  "RELEASING",
  "RELEASED",
  "RELEASE_FAILED",
] as const;

export type RequestStatus = (typeof REQUEST_STATUSES)[number];
