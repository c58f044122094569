import type { TableSpec } from "../shared/table-spec.ts";

const APPROVALS_TABLE_NAME_ENV = "DECISION_APPROVALS_TABLE" as const;

export const SWEEP_INDEX = "by-sweep-task";

/**
 * One item per request approvers were asked about: who may decide, the hashes of their links (from
 * ApprovalRequested), the decision, and what the sweeper still has to do; or a decision made before
 * that event arrived, waiting for it. Only decision reads or writes it.
 *
 * The sweep index is sparse: only items with work left (`sweepTask` EXPIRE while pending, PUBLISH
 * while an outcome event may still be unpublished) appear in it, keyed by when that work is due.
 */
export const approvalsTable = {
  id: "decision-approvals",
  tableNameEnv: APPROVALS_TABLE_NAME_ENV,
  partitionKey: { name: "requestId", type: "S" },
  globalIndexes: [
    {
      indexName: SWEEP_INDEX,
      partitionKey: { name: "sweepTask", type: "S" },
      sortKey: { name: "sweepAt", type: "S" },
    },
  ],
} satisfies TableSpec;

/**
 * Decision's own copy of the approvers' delegations (from DelegationChanged): one item per approver,
 * their windows and the `changedAt` of the event it was copied from, so an older event never wins.
 */
export const delegationsCopyTable = {
  id: "decision-delegations",
  tableNameEnv: "DECISION_DELEGATIONS_TABLE" as const,
  partitionKey: { name: "approver", type: "S" },
} satisfies TableSpec;

export const tables: TableSpec[] = [approvalsTable, delegationsCopyTable];
