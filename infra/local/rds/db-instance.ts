import { randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import {
  RDS_ENGINE_VERSIONS,
  RDS_ENGINES,
  RDS_STORAGE_GIB,
  type RdsEngine,
} from "../../../events/rds-resource.ts";
import { LOCAL_ACCOUNT_ID } from "../eventbridge/types.ts";

/** An error RDS answers with: `code` is AWS's error code, which SDKs raise as the exception name. */
export class RdsError extends Error {
  override readonly name = "RdsError";
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const dbInstanceNotFound = (identifier: string) =>
  new RdsError("DBInstanceNotFound", `DBInstance ${identifier} not found.`, 404);

const tagSchema = z.object({ key: z.string(), value: z.string() });
export type Tag = z.infer<typeof tagSchema>;

export const DB_INSTANCE_STATUSES = ["creating", "available", "deleting", "failed"] as const;
export type DbInstanceStatus = (typeof DB_INSTANCE_STATUSES)[number];

export const dbInstanceSchema = z.object({
  region: z.string(),
  identifier: z.string(),
  arn: z.string(),
  resourceId: z.string(),
  engine: z.enum(RDS_ENGINES),
  engineVersion: z.string(),
  instanceClass: z.string(),
  allocatedStorage: z.number(),
  storageType: z.string(),
  dbName: z.string().optional(),
  masterUsername: z.string(),
  /** The ARN of the secret RDS manages the master password in, when it was asked to. */
  masterUserSecretArn: z.string().optional(),
  storageEncrypted: z.boolean(),
  publiclyAccessible: z.boolean(),
  multiAz: z.boolean(),
  backupRetentionPeriod: z.number(),
  copyTagsToSnapshot: z.boolean(),
  deletionProtection: z.boolean(),
  dbSubnetGroupName: z.string().optional(),
  vpcSecurityGroupIds: z.array(z.string()),
  tags: z.array(tagSchema),
  status: z.enum(DB_INSTANCE_STATUSES),
  statusChangedAt: z.string(),
  /** When it became available: AWS's InstanceCreateTime, absent while creating. */
  createdAt: z.string().optional(),
  /** Known once available: where its engine listens. */
  endpoint: z.object({ address: z.string(), port: z.number() }).optional(),
  /** Why it failed, when it did. */
  failure: z.string().optional(),
  finalSnapshotIdentifier: z.string().optional(),
});
export type DbInstance = z.infer<typeof dbInstanceSchema>;

/** A final snapshot a deletion took: its instance's data directory, kept whole (nothing restores it locally). */
export const dbSnapshotSchema = z.object({
  region: z.string(),
  identifier: z.string(),
  arn: z.string(),
  dbInstanceIdentifier: z.string(),
  engine: z.enum(RDS_ENGINES),
  engineVersion: z.string(),
  allocatedStorage: z.number(),
  createdAt: z.string(),
  /** The instance's, when it copied its tags to its snapshots. */
  tags: z.array(tagSchema),
});
export type DbSnapshot = z.infer<typeof dbSnapshotSchema>;

export const dbSnapshotNotFound = (identifier: string) =>
  new RdsError("DBSnapshotNotFound", `DBSnapshot ${identifier} not found.`, 404);

/** The final snapshot `identifier` of an instance being deleted, as RDS lists it once taken. */
export const finalSnapshotRecordOf = (instance: DbInstance, identifier: string, at: Date): DbSnapshot => ({
  region: instance.region,
  identifier,
  arn: `arn:aws:rds:${instance.region}:${LOCAL_ACCOUNT_ID}:snapshot:${identifier}`,
  dbInstanceIdentifier: instance.identifier,
  engine: instance.engine,
  engineVersion: instance.engineVersion,
  allocatedStorage: instance.allocatedStorage,
  createdAt: at.toISOString(),
  tags: instance.copyTagsToSnapshot ? structuredClone(instance.tags) : [],
});

/**
 * RDS's identifier rules, for DB instances and snapshots alike, stored lower-case; only the longest
 * differs: 63 characters for an instance, 255 for a snapshot.
 */
const IDENTIFIER = /^[a-z](?:[a-z0-9]|-(?!-))*$/i;

export const IDENTIFIER_MAX_LENGTHS = { instance: 63, snapshot: 255 } as const;

export const checkIdentifier = (
  parameter: string,
  identifier: string,
  maxLength: number = IDENTIFIER_MAX_LENGTHS.instance,
): string => {
  if (!IDENTIFIER.test(identifier) || identifier.endsWith("-") || identifier.length > maxLength) {
    throw new RdsError(
      "InvalidParameterValue",
      `The parameter ${parameter} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
    );
  }
  return identifier.toLowerCase();
};

const MAX_TAGS = 50;

/** RDS's tag rules: keys of 1-128 characters not starting with `aws:` or `rds:`, values of up to 256. */
export const checkTags = (tags: { key?: string; value?: string }[]): Tag[] =>
  tags.map(({ key, value = "" }) => {
    if (key === undefined || key.length === 0 || key.length > 128 || /^(aws|rds):/i.test(key)) {
      throw new RdsError("InvalidParameterValue", `Invalid tag key: '${key ?? ""}'`);
    }
    if (value.length > 256) throw new RdsError("InvalidParameterValue", `Invalid tag value for key '${key}'`);
    return { key, value };
  });

/** Adds or replaces tags by key, as AddTagsToResource does; at most 50 on a resource. */
export const mergeTags = (existing: Tag[], added: Tag[]): Tag[] => {
  const byKey = new Map(existing.map((tag) => [tag.key, tag.value]));
  for (const { key, value } of added) byKey.set(key, value);
  if (byKey.size > MAX_TAGS) {
    throw new RdsError("TagQuotaPerResourceExceeded", `A resource can have at most ${MAX_TAGS} tags`);
  }
  return [...byKey].map(([key, value]) => ({ key, value }));
};

const DEFAULT_PORTS: Record<RdsEngine, number> = { postgres: 5432, mysql: 3306 };
export const defaultPortOf = (engine: RdsEngine) => DEFAULT_PORTS[engine];

/** Names the engines keep for themselves: RDS refuses them as `DBName`. */
const RESERVED_DATABASE_NAMES: Record<RdsEngine, readonly string[]> = {
  postgres: ["postgres", "template0", "template1", "rdsadmin"],
  mysql: ["mysql", "sys", "information_schema", "performance_schema", "rdsadmin"],
};
const DATABASE_NAME_MAX_LENGTH: Record<RdsEngine, number> = { postgres: 63, mysql: 64 };

const checkDatabaseName = (engine: RdsEngine, name: string) => {
  if (
    !/^[A-Za-z][A-Za-z0-9_]*$/.test(name) ||
    name.length > DATABASE_NAME_MAX_LENGTH[engine] ||
    RESERVED_DATABASE_NAMES[engine].includes(name.toLowerCase())
  ) {
    throw new RdsError(
      "InvalidParameterValue",
      `The parameter DBName is not a valid identifier for ${engine}: it must begin with a letter, contain only letters, digits and underscores, be at most ${DATABASE_NAME_MAX_LENGTH[engine]} characters, and not be a reserved word.`,
    );
  }
};

const STORAGE_TYPES = ["gp2", "gp3", "io1", "io2", "standard"];
const INSTANCE_CLASS = /^db\.[a-z0-9-]+\.[a-z0-9]+$/;

/** What CreateDBInstance reads, before its rules are applied. */
export interface CreateDbInstanceInput {
  identifier?: string;
  instanceClass?: string;
  engine?: string;
  engineVersion?: string;
  allocatedStorage?: number;
  storageType?: string;
  dbName?: string;
  masterUsername?: string;
  masterUserPassword?: string;
  manageMasterUserPassword?: boolean;
  storageEncrypted?: boolean;
  publiclyAccessible?: boolean;
  multiAz?: boolean;
  backupRetentionPeriod?: number;
  copyTagsToSnapshot?: boolean;
  deletionProtection?: boolean;
  dbSubnetGroupName?: string;
  vpcSecurityGroupIds?: string[];
  tags?: { key?: string; value?: string }[];
}

const required = <T>(name: string, value: T | undefined): T => {
  if (value === undefined)
    throw new RdsError("MissingParameter", `The request must contain the parameter ${name}`);
  return value;
};

const notBlank = (name: string, value: string | undefined): string => {
  if (value === undefined || value.trim() === "") {
    throw new RdsError(
      "InvalidParameterValue",
      `The parameter ${name} must be provided and must not be blank.`,
    );
  }
  return value;
};

export const dbInstanceArn = (region: string, identifier: string) =>
  `arn:aws:rds:${region}:${LOCAL_ACCOUNT_ID}:db:${identifier}`;

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const randomBase32 = (length: number) =>
  Array.from(randomBytes(length), (byte) => BASE32[byte % BASE32.length]).join("");
const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** The secret RDS makes for a managed master password: named `rds!db-<uuid>`, its ARN ending in 6 random characters. */
export const newMasterUserSecretArn = (region: string) => {
  const suffix = Array.from(randomBytes(6), (byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join("");
  return `arn:aws:secretsmanager:${region}:${LOCAL_ACCOUNT_ID}:secret:rds!db-${randomUUID()}-${suffix}`;
};

/** A secret's name from its ARN, which is the name, a hyphen and 6 random characters. */
export const secretNameOf = (arn: string) => arn.slice(arn.indexOf(":secret:") + ":secret:".length, -7);

/** A new `creating` DB instance in `region` from a CreateDBInstance request, by RDS's rules, or RdsError. */
export const newDbInstance = (region: string, input: CreateDbInstanceInput, now = new Date()): DbInstance => {
  const identifier = checkIdentifier(
    "DBInstanceIdentifier",
    required("DBInstanceIdentifier", input.identifier),
  );
  const instanceClass = required("DBInstanceClass", input.instanceClass);
  const engineName = required("Engine", input.engine);
  if (!(RDS_ENGINES as readonly string[]).includes(engineName)) {
    throw new RdsError("InvalidParameterValue", `Invalid DB engine: ${engineName}`);
  }
  const engine = engineName as RdsEngine;
  const versions: readonly string[] = RDS_ENGINE_VERSIONS[engine];
  const engineVersion = input.engineVersion ?? (versions[0] as string);
  if (!versions.includes(engineVersion)) {
    throw new RdsError("InvalidParameterCombination", `Cannot find version ${engineVersion} for ${engine}`);
  }
  if (!INSTANCE_CLASS.test(instanceClass)) {
    throw new RdsError(
      "InvalidParameterCombination",
      `RDS does not support creating a DB instance with the following combination: DBInstanceClass=${instanceClass}, Engine=${engine}, EngineVersion=${engineVersion}, LicenseModel=${engine === "mysql" ? "general-public-license" : "postgresql-license"}.`,
    );
  }
  const storageType = input.storageType ?? "gp2";
  if (!STORAGE_TYPES.includes(storageType)) {
    throw new RdsError("InvalidParameterValue", `Invalid storage type: ${storageType}`);
  }
  const allocatedStorage = required("AllocatedStorage", input.allocatedStorage);
  if (allocatedStorage < RDS_STORAGE_GIB.min || allocatedStorage > RDS_STORAGE_GIB.max) {
    throw new RdsError(
      "InvalidParameterValue",
      `Invalid storage size for engine name ${engine} and storage type ${storageType}: ${allocatedStorage}`,
    );
  }
  const masterUsername = notBlank("MasterUsername", input.masterUsername);
  if (input.manageMasterUserPassword && input.masterUserPassword !== undefined) {
    throw new RdsError(
      "InvalidParameterCombination",
      "You can't specify MasterUserPassword and ManageMasterUserPassword at the same time.",
    );
  }
  if (!input.manageMasterUserPassword) {
    const password = notBlank("MasterUserPassword", input.masterUserPassword);
    if (password.length < 8) {
      throw new RdsError(
        "InvalidParameterValue",
        "The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.",
      );
    }
  }
  if (input.dbName !== undefined) checkDatabaseName(engine, input.dbName);
  const backupRetentionPeriod = input.backupRetentionPeriod ?? 1;
  if (backupRetentionPeriod < 0 || backupRetentionPeriod > 35) {
    throw new RdsError(
      "InvalidParameterValue",
      "The parameter BackupRetentionPeriod must be a value from 0 to 35.",
    );
  }
  return {
    region,
    identifier,
    arn: dbInstanceArn(region, identifier),
    resourceId: `db-${randomBase32(26)}`,
    engine,
    engineVersion,
    instanceClass,
    allocatedStorage,
    storageType,
    dbName: input.dbName,
    masterUsername,
    masterUserSecretArn: input.manageMasterUserPassword ? newMasterUserSecretArn(region) : undefined,
    storageEncrypted: input.storageEncrypted ?? false,
    publiclyAccessible: input.publiclyAccessible ?? false,
    multiAz: input.multiAz ?? false,
    backupRetentionPeriod,
    copyTagsToSnapshot: input.copyTagsToSnapshot ?? false,
    deletionProtection: input.deletionProtection ?? false,
    dbSubnetGroupName: input.dbSubnetGroupName,
    vpcSecurityGroupIds: input.vpcSecurityGroupIds ?? [],
    tags: mergeTags([], checkTags(input.tags ?? [])),
    status: "creating",
    statusChangedAt: now.toISOString(),
  };
};

/** What DeleteDBInstance asks for: a final snapshot by name, or none. */
export const finalSnapshotOf = (
  instance: DbInstance,
  {
    skipFinalSnapshot = false,
    finalSnapshotIdentifier,
  }: { skipFinalSnapshot?: boolean; finalSnapshotIdentifier?: string },
): string | undefined => {
  if (instance.deletionProtection) {
    throw new RdsError(
      "InvalidParameterCombination",
      "Cannot delete protected DB Instance, please disable deletion protection and try again.",
    );
  }
  if (instance.status === "deleting") {
    throw new RdsError("InvalidDBInstanceState", `Instance ${instance.identifier} is already being deleted.`);
  }
  if (skipFinalSnapshot && finalSnapshotIdentifier !== undefined) {
    throw new RdsError(
      "InvalidParameterCombination",
      "Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier.",
    );
  }
  if (skipFinalSnapshot) return undefined;
  if (finalSnapshotIdentifier === undefined) {
    throw new RdsError(
      "InvalidParameterCombination",
      "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
    );
  }
  const snapshot = checkIdentifier(
    "FinalDBSnapshotIdentifier",
    finalSnapshotIdentifier,
    IDENTIFIER_MAX_LENGTHS.snapshot,
  );
  if (instance.status !== "available") {
    throw new RdsError(
      "InvalidDBInstanceState",
      `Instance is currently ${instance.status} - a final snapshot cannot be taken.`,
    );
  }
  return snapshot;
};

/** The instance's identifier from the ARN AddTagsToResource and its kin name, if it is a DB instance's in `region`. */
export const identifierOfArn = (region: string, arn: string): string => {
  const match = /^arn:aws:rds:([^:]+):(\d{12}):db:(.+)$/.exec(arn);
  if (!match || match[1] !== region || match[2] !== LOCAL_ACCOUNT_ID) {
    throw new RdsError(
      "InvalidParameterValue",
      "The specified resource name does not match an RDS resource in this region.",
    );
  }
  return (match[3] as string).toLowerCase();
};
