import { idempotencyTableSpec, type TableSpec } from "../shared/table-spec.ts";

/**
 * One item per request id: the HTTP submission record and the consumer's accepted request are the
 * same item, so a request submitted over HTTP and seen again on the bus counts once.
 */
export const requestsTable = {
  id: "intake-requests",
  tableNameEnv: "INTAKE_REQUESTS_TABLE",
  partitionKey: { name: "requestId", type: "S" },
} as const satisfies TableSpec;

/**
 * The records of intake's effects: each request's one `RequestAccepted`, and the one `RequestInvalid`
 * of each refused event (by its refusal's id), so the requester is told once per refused submission.
 */
export const idempotencyTable = idempotencyTableSpec("intake-idempotency", "INTAKE_IDEMPOTENCY_TABLE");

export const tables: TableSpec[] = [requestsTable, idempotencyTable];
