import type { TableSpec } from "../shared/table-spec.ts";

export const SWEEP_INDEX = "by-sweep-task";

/**
 * One item per approved request: its lease terms and request (from RequestApproved), its resource
 * (from ResourceProvisioned), and once both are known the running lease: status, start, end, the
 * reminders sent, an extension waiting, the release and its outcome. Only the lease service reads or
 * writes it.
 *
 * The sweep index is sparse: only items whose `outbox` may still hold events or schedules a crash
 * left owed appear in it (`sweepTask` PUBLISH), keyed by when the sweeper should see to them.
 */
export const leasesTable = {
  id: "leases",
  tableNameEnv: "LEASES_TABLE" as const,
  partitionKey: { name: "requestId", type: "S" },
  globalIndexes: [
    {
      indexName: SWEEP_INDEX,
      partitionKey: { name: "sweepTask", type: "S" },
      sortKey: { name: "sweepAt", type: "S" },
    },
  ],
} satisfies TableSpec;

export const tables: TableSpec[] = [leasesTable];
