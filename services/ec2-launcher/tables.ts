import type { TableSpec } from "../shared/table-spec.ts";

/** The index that finds a launch from the instance id an `aws.ec2` state change names. */
export const LAUNCHES_BY_INSTANCE_INDEX = {
  indexName: "by-instance-id",
  partitionKey: { name: "instanceId", type: "S" },
} as const;

/**
 * One item per approved request: the request and approver (so the state-change handler needs no other
 * service's data), the instance once launched, and the markers that make each event go out once.
 */
export const launchesTable = {
  id: "ec2-launcher-launches",
  tableNameEnv: "EC2_LAUNCHER_LAUNCHES_TABLE" as const,
  partitionKey: { name: "requestId", type: "S" },
  globalIndexes: [LAUNCHES_BY_INSTANCE_INDEX],
} satisfies TableSpec;

export const tables: TableSpec[] = [launchesTable];
