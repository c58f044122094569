import { idempotencyTableSpec, type TableSpec } from "../shared/table-spec.ts";

/** The index that finds a creation from the DB instance identifier an `aws.rds` event names. */
export const CREATIONS_BY_IDENTIFIER_INDEX = {
  indexName: "by-db-instance-identifier",
  partitionKey: { name: "dbInstanceIdentifier", type: "S" },
} as const;

/**
 * The creations still waiting for an outcome, oldest check first: a sparse index, since an item leaves
 * it once its outcome is published (or it failed before RDS created anything).
 */
export const UNSETTLED_CREATIONS_INDEX = {
  indexName: "by-unsettled-check",
  partitionKey: { name: "awaiting", type: "S" },
  sortKey: { name: "checkAt", type: "S" },
} as const;

/**
 * One item per approved request: the request, approver, region and DB instance identifier (so the
 * event handler and the sweeper need no other service's data), then when RDS accepted the creation,
 * or why it never can, and when its outcome was published.
 */
export const creationsTable = {
  id: "rds-launcher-creations",
  tableNameEnv: "RDS_LAUNCHER_CREATIONS_TABLE" as const,
  partitionKey: { name: "requestId", type: "S" },
  globalIndexes: [CREATIONS_BY_IDENTIFIER_INDEX, UNSETTLED_CREATIONS_INDEX],
} satisfies TableSpec;

/**
 * The records of the launcher's effects, per request: its one `ProvisioningStarted`, and its one outcome
 * (`ResourceProvisioned` or `ProvisioningFailed`), shared by the handlers that may settle it.
 */
export const idempotencyTable = idempotencyTableSpec(
  "rds-launcher-idempotency",
  "RDS_LAUNCHER_IDEMPOTENCY_TABLE",
);

export const tables: TableSpec[] = [creationsTable, idempotencyTable];
