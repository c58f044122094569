import { idempotencyTableSpec, type TableSpec } from "../shared/table-spec.ts";

/**
 * One item per accepted request: either the mailing (the approvers, the deadline, the hashes of the
 * links issued to each and whether their mail went out, and the claim of the delivery sending them) or
 * the refusal when no approver but the requester was left.
 * Only approval-mail reads or writes it; decision learns what it needs from ApprovalRequested.
 */
export const mailingsTable = {
  id: "approval-mail-mailings",
  tableNameEnv: "APPROVAL_MAIL_MAILINGS_TABLE",
  partitionKey: { name: "requestId", type: "S" },
} as const satisfies TableSpec;

/** The record of each refusal's RequestRejected, so a redelivered RequestAccepted publishes it once. */
export const idempotencyTable = idempotencyTableSpec(
  "approval-mail-idempotency",
  "APPROVAL_MAIL_IDEMPOTENCY_TABLE",
);

export const tables: TableSpec[] = [mailingsTable, idempotencyTable];
