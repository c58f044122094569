import type { TableSpec } from "../shared/table-spec.ts";

/** The constant partition of the index that lists every request, newest first. */
export const ALL_REQUESTS_PARTITION = "ALL";

/**
 * The list indexes: each partitions the request views one way and sorts them by submission time, so
 * every filter of `GET /api/requests` is a Query.
 */
export const REQUEST_INDEXES = {
  byRequester: { indexName: "by-requester", partitionKey: { name: "requesterKey", type: "S" } },
  byStatus: { indexName: "by-status", partitionKey: { name: "status", type: "S" } },
  all: { indexName: "by-submission", partitionKey: { name: "listPartition", type: "S" } },
} as const;

export type RequestIndex = (typeof REQUEST_INDEXES)[keyof typeof REQUEST_INDEXES];

/** Every list index sorts by submission time. */
export const LIST_SORT_KEY = { name: "submittedAt", type: "S" } as const;

/** One item per request: the view the audit service projects from the request's timeline. */
export const auditRequestsTable = {
  id: "audit-requests",
  tableNameEnv: "AUDIT_REQUESTS_TABLE" as const,
  partitionKey: { name: "requestId", type: "S" },
  globalIndexes: Object.values(REQUEST_INDEXES).map(({ indexName, partitionKey }) => ({
    indexName,
    partitionKey,
    sortKey: LIST_SORT_KEY,
  })),
} satisfies TableSpec;

/** Every audited event of a request, once each: the event id makes a redelivery land on the same item. */
export const auditTimelineTable = {
  id: "audit-timeline",
  tableNameEnv: "AUDIT_TIMELINE_TABLE" as const,
  partitionKey: { name: "requestId", type: "S" },
  sortKey: { name: "eventId", type: "S" },
} satisfies TableSpec;

/**
 * The dashboard's counters: one item per day, metric and dimension, added to as events arrive. Keyed by
 * month, the day leading the sort key, so a range of a year is a dozen Queries (see aggregates.ts).
 */
export const auditAggregatesTable = {
  id: "audit-aggregates",
  tableNameEnv: "AUDIT_AGGREGATES_TABLE" as const,
  partitionKey: { name: "month", type: "S" },
  sortKey: { name: "counter", type: "S" },
} satisfies TableSpec;

export const tables: TableSpec[] = [auditRequestsTable, auditTimelineTable, auditAggregatesTable];
