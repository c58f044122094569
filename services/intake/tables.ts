import type { TableSpec } from "../shared/table-spec.ts";

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
 * One item per refused detail (request id + hash of the detail as sent): redeliveries and copies of an
 * invalid `ResourceRequested` publish one `RequestInvalid`, so the requester is told once.
 */
export const rejectionsTable = {
  id: "intake-rejections",
  tableNameEnv: "INTAKE_REJECTIONS_TABLE",
  partitionKey: { name: "rejectionKey", type: "S" },
  timeToLiveAttribute: "expiresAt",
} as const satisfies TableSpec;

export const tables: TableSpec[] = [requestsTable, rejectionsTable];
