import type { TableSpec } from "../shared/table-spec.ts";

/**
 * One item per event the requester was emailed about, keyed by the event's id: it records the email
 * (and the RequesterNotified that reports it) so a redelivered event sends nothing twice.
 */
export const notificationsTable = {
  id: "notifier-notifications",
  tableNameEnv: "NOTIFIER_NOTIFICATIONS_TABLE" as const,
  partitionKey: { name: "eventId", type: "S" },
} satisfies TableSpec;

export const tables: TableSpec[] = [notificationsTable];
