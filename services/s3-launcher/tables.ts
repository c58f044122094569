import { idempotencyTableSpec, type TableSpec } from "../shared/table-spec.ts";

/**
 * One item per bucket name the launcher was asked for, keyed by the name as S3 keys buckets: the first
 * request to claim a name holds it, so no other request can ever take its bucket for its own. It keeps
 * the request and approver, whether a CreateBucket call was made for it (`createCalled`), whether the
 * bucket is known to be the request's (`created`), or why the request can never be provisioned.
 */
export const bucketsTable = {
  id: "s3-launcher-buckets",
  tableNameEnv: "S3_LAUNCHER_BUCKETS_TABLE" as const,
  partitionKey: { name: "bucketName", type: "S" },
} satisfies TableSpec;

/**
 * One item per request whose bucket has a lease, keyed by request id as the lease's events and the
 * reaper's checks name it: the latest end the bucket was tagged `ExpiresAt` with, and its release as
 * first asked for and when its outcome was published.
 */
export const leasesTable = {
  id: "s3-launcher-leases",
  tableNameEnv: "S3_LAUNCHER_LEASES_TABLE" as const,
  partitionKey: { name: "requestId", type: "S" },
} satisfies TableSpec;

/**
 * The records of the launcher's effects, per request: its one `ProvisioningStarted`, its one outcome
 * (`ResourceProvisioned` or `ProvisioningFailed`), and its release's one outcome (`ResourceReleased` or
 * `ReleaseFailed`).
 */
export const idempotencyTable = idempotencyTableSpec(
  "s3-launcher-idempotency",
  "S3_LAUNCHER_IDEMPOTENCY_TABLE",
);

export const tables: TableSpec[] = [bucketsTable, leasesTable, idempotencyTable];
