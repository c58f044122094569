import type { TableSpec } from "../shared/table-spec.ts";

/**
 * One item per approver who ever set a delegation: their windows (from, to, delegate) and when they
 * last changed them. Cleared delegations stay as an item with no windows (no role may delete items).
 */
export const delegationsTable = {
  id: "delegations",
  tableNameEnv: "DELEGATIONS_TABLE" as const,
  partitionKey: { name: "approver", type: "S" },
} satisfies TableSpec;

export const tables: TableSpec[] = [delegationsTable];
