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
}
