import { idempotencyTableSpec, type TableSpec } from "../shared/table-spec.ts";

/**
 * The records of the notifier's effects, per event the requester is told about (keyed by the event's
 * id): the email, and the RequesterNotified that reports it, so a redelivered event sends nothing twice.
 */
export const idempotencyTable = idempotencyTableSpec("notifier-idempotency", "NOTIFIER_IDEMPOTENCY_TABLE");

export const tables: TableSpec[] = [idempotencyTable];
