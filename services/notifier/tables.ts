import { idempotencyTableSpec, type TableSpec } from "../shared/table-spec.ts";

/**
 * The records of the notifier's effects, per event the requester is told about (keyed by the event's
 * id): the email, and the RequesterNotified that reports it, so a redelivered event sends nothing twice.
 */
export const idempotencyTable = idempotencyTableSpec("notifier-idempotency", "NOTIFIER_IDEMPOTENCY_TABLE");

/**
 * The addresses the notifier no longer mails, one item per canonical address: SES reported a permanent
 * bounce of an email to it, or a complaint about one. Kept until an operator deletes the item.
 */
export const suppressionsTable = {
  id: "notifier-suppressions",
  tableNameEnv: "NOTIFIER_SUPPRESSIONS_TABLE",
  partitionKey: { name: "email", type: "S" },
} as const satisfies TableSpec;

export const tables: TableSpec[] = [idempotencyTable, suppressionsTable];
