import { idempotencyTableSpec, type TableSpec } from "../shared/table-spec.ts";

/**
 * One item per stage of a request's approval (and of each extension round of its lease, under a key of
 * its own: approvalKeyOf in store.ts) that approval-mail was asked to mail: the stage, its
 * approvers, the deadline, the hashes of the links issued to each and whether their mail went out, and
 * the claim of the delivery sending them. The request's items together say whom approval-mail ever
 * asked, which is who hears how the request ended. (A new table, not the per-request mailings table of
 * before stages: its key changed, and a table's key cannot.)
 * Only approval-mail reads or writes it; decision learns what it needs from ApprovalRequested.
 */
export const mailingsTable = {
  id: "approval-mail-stage-mailings",
  tableNameEnv: "APPROVAL_MAIL_MAILINGS_TABLE",
  partitionKey: { name: "requestId", type: "S" },
  sortKey: { name: "stage", type: "N" },
} as const satisfies TableSpec;

/** The record of each closure email (one per approver and request), so a redelivered outcome mails it once. */
export const idempotencyTable = idempotencyTableSpec(
  "approval-mail-idempotency",
  "APPROVAL_MAIL_IDEMPOTENCY_TABLE",
);

export const tables: TableSpec[] = [mailingsTable, idempotencyTable];
