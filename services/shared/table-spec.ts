/**
 * A DynamoDB table as one declaration: the CDK stack and the local bootstrap both build from it, so
 * keys and indexes are written down once. Attribute types follow DynamoDB's: S, N or B.
 */
export type AttributeType = "S" | "N" | "B";

export interface KeySpec {
  name: string;
  type: AttributeType;
}

export interface GlobalIndexSpec {
  indexName: string;
  partitionKey: KeySpec;
  sortKey?: KeySpec;
}

export interface TableSpec {
  /** Logical id, stable across deployments; the physical name is derived from it by each runtime. */
  id: string;
  /** The environment variable through which the owning service learns the physical table name. */
  tableNameEnv: string;
  partitionKey: KeySpec;
  sortKey?: KeySpec;
  globalIndexes?: GlobalIndexSpec[];
  /** Attribute holding an epoch-seconds expiry; DynamoDB deletes such items eventually (housekeeping only). */
  timeToLiveAttribute?: string;
  /**
   * Holds a service's Powertools Idempotency records (services/shared/idempotency.ts). Their items are
   * the only ones any role may delete: Powertools deletes the claim of an effect that failed, so that
   * the retry can run it.
   */
  holdsIdempotencyRecords?: boolean;
}

/** The attributes Powertools Idempotency keys and expires its records by (its defaults, named once). */
export const IDEMPOTENCY_RECORD_ATTRIBUTES = { key: "id", expiry: "expiration" } as const;

/**
 * A service's table of idempotency records: one item per effect it has run (or is running), keyed by a
 * hash of the effect and its business key, dropped by DynamoDB's TTL once no copy of its event can
 * come back.
 */
export const idempotencyTableSpec = <const TableNameEnv extends string>(
  id: string,
  tableNameEnv: TableNameEnv,
) =>
  ({
    id,
    tableNameEnv,
    partitionKey: { name: IDEMPOTENCY_RECORD_ATTRIBUTES.key, type: "S" },
    timeToLiveAttribute: IDEMPOTENCY_RECORD_ATTRIBUTES.expiry,
    holdsIdempotencyRecords: true,
  }) as const satisfies TableSpec;
