import { z } from "zod";
import { mustBe, oneOf, ruleIssues, wholeNumberSchema } from "./fields.ts";

export const RDS_ENGINES = ["postgres", "mysql"] as const;
export type RdsEngine = (typeof RDS_ENGINES)[number];

/** The versions a request may pin, per engine; without one RDS picks its current default. */
export const RDS_ENGINE_VERSIONS = {
  postgres: ["17.4", "16.8", "15.12", "14.17"],
  mysql: ["8.4.5", "8.0.42"],
} as const satisfies Record<RdsEngine, readonly string[]>;

/** The Graviton classes a request may ask for: burstable, general purpose and memory optimized. */
export const RDS_INSTANCE_CLASSES = [
  "db.t4g.micro",
  "db.t4g.small",
  "db.t4g.medium",
  "db.t4g.large",
  "db.m7g.large",
  "db.m7g.xlarge",
  "db.m7g.2xlarge",
  "db.r7g.large",
  "db.r7g.xlarge",
  "db.r7g.2xlarge",
] as const;
export type RdsInstanceClass = (typeof RDS_INSTANCE_CLASSES)[number];

export const RDS_STORAGE_TYPES = ["gp3", "gp2"] as const;
export type RdsStorageType = (typeof RDS_STORAGE_TYPES)[number];

/**
 * RDS's allocated storage limits for MySQL and PostgreSQL on gp2 and gp3, 20 GiB to 64 TiB (AWS's
 * "Amazon RDS DB instance storage", CHAP_Storage).
 */
export const RDS_STORAGE_GIB = { min: 20, max: 65536 } as const;

export const RDS_BACKUP_RETENTION_DAYS = { min: 0, max: 35, default: 7 } as const;

/**
 * The launcher appends `-` and 8 characters of the request id to the base, and RDS allows 63 in an
 * identifier; the base keeps its rules: a letter first, then letters, digits and single hyphens.
 */
export const RDS_IDENTIFIER_SUFFIX_LENGTH = 9;
const RDS_NAME_MAX_LENGTH = 63 - RDS_IDENTIFIER_SUFFIX_LENGTH;

const identifierBaseRules = [
  { rule: "must start with a lowercase letter", broken: (name: string) => !/^[a-z]/.test(name) },
  {
    rule: "must hold only lowercase letters, digits and hyphens",
    broken: (name: string) => !/^[a-z0-9-]*$/.test(name),
  },
  { rule: "must not hold two hyphens in a row", broken: (name: string) => name.includes("--") },
  { rule: "must not end with a hyphen", broken: (name: string) => name.endsWith("-") },
] as const;

/** The most characters a database name may have, per engine (RDS's CreateDBInstance `DBName`). */
const DATABASE_NAME_MAX_LENGTH: Record<RdsEngine, number> = { postgres: 63, mysql: 64 };

/** Names the engines keep for themselves: RDS refuses them as `DBName`. */
const RESERVED_DATABASE_NAMES: Record<RdsEngine, readonly string[]> = {
  postgres: ["postgres", "template0", "template1", "rdsadmin"],
  mysql: ["mysql", "sys", "information_schema", "performance_schema", "rdsadmin"],
};

const DATABASE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

export const rdsResourceSchema = z
  .strictObject({
    type: z.literal("rds", mustBe("rds")),
    engine: z.enum(RDS_ENGINES, oneOf(RDS_ENGINES)),
    engineVersion: z.string(mustBe("a string")).optional(),
    instanceClass: z.enum(RDS_INSTANCE_CLASSES, oneOf(RDS_INSTANCE_CLASSES)),
    allocatedStorageGiB: wholeNumberSchema(RDS_STORAGE_GIB.min, RDS_STORAGE_GIB.max),
    storageType: z.enum(RDS_STORAGE_TYPES, oneOf(RDS_STORAGE_TYPES)).default("gp3"),
    multiAz: z.boolean(mustBe("true or false")).default(false),
    name: z
      .string(mustBe("a string"))
      .min(1, "must not be empty")
      .max(RDS_NAME_MAX_LENGTH, `must be at most ${RDS_NAME_MAX_LENGTH} characters`)
      .superRefine((name, context) => ruleIssues(name, identifierBaseRules, context)),
    databaseName: z
      .string(mustBe("a string"))
      .regex(DATABASE_NAME, "must start with a letter and hold only letters, digits and underscores")
      .optional(),
    backupRetentionDays: wholeNumberSchema(
      RDS_BACKUP_RETENTION_DAYS.min,
      RDS_BACKUP_RETENTION_DAYS.max,
    ).default(RDS_BACKUP_RETENTION_DAYS.default),
  })
  .superRefine(({ engine, engineVersion, databaseName }, context) => {
    const versions: readonly string[] = RDS_ENGINE_VERSIONS[engine];
    if (engineVersion !== undefined && !versions.includes(engineVersion)) {
      context.addIssue({
        code: "custom",
        path: ["engineVersion"],
        input: engineVersion,
        message: `must be one of ${versions.join(", ")} for ${engine}`,
      });
    }
    if (databaseName === undefined) return;
    const maxLength = DATABASE_NAME_MAX_LENGTH[engine];
    if (databaseName.length > maxLength) {
      context.addIssue({
        code: "custom",
        path: ["databaseName"],
        input: databaseName,
        message: `must be at most ${maxLength} characters for ${engine}`,
      });
    }
    if (RESERVED_DATABASE_NAMES[engine].includes(databaseName.toLowerCase())) {
      context.addIssue({
        code: "custom",
        path: ["databaseName"],
        input: databaseName,
        message: `must not be ${databaseName}: ${engine} reserves it`,
      });
    }
  });

export type RdsResource = z.output<typeof rdsResourceSchema>;
