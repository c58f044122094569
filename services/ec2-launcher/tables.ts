import { idempotencyTableSpec, type TableSpec } from "../shared/table-spec.ts";

/** The index that finds a launch from the instance id an `aws.ec2` state change names. */
export const LAUNCHES_BY_INSTANCE_INDEX = {
  indexName: "by-instance-id",
  partitionKey: { name: "instanceId", type: "S" },
} as const;

/**
 * One item per approved request: the request and approver (so the state-change handler needs no other
 * service's data), then the instance once launched, or why it can never launch.
 */
export const launchesTable = {
  id: "ec2-launcher-launches",
  tableNameEnv: "EC2_LAUNCHER_LAUNCHES_TABLE" as const,
  partitionKey: { name: "requestId", type: "S" },
  globalIndexes: [LAUNCHES_BY_INSTANCE_INDEX],
} satisfies TableSpec;

/**
 * The records of the launcher's effects, per request: its one `ProvisioningStarted`, and its one outcome
 * (`ResourceProvisioned` or `ProvisioningFailed`), shared by both handlers.
 */
export const idempotencyTable = idempotencyTableSpec(
  "ec2-launcher-idempotency",
  "EC2_LAUNCHER_IDEMPOTENCY_TABLE",
);

export const tables: TableSpec[] = [launchesTable, idempotencyTable];
