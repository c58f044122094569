import { z } from "zod";
import type { ResourceType } from "./request.ts";

/**
 * What the launchers name of what they created, per resource type, in `ProvisioningStarted`,
 * `ResourceProvisioned` and `ProvisioningFailed`: each launcher publishes these under its own source.
 */

/** The launchers of each resource type, as the catalog's producers of the provisioning events. */
export const LAUNCHER_SOURCES = {
  ec2: "approvals.ec2-launcher",
  rds: "approvals.rds-launcher",
  s3: "approvals.s3-launcher",
} as const satisfies Record<ResourceType, string>;

export const OTHER_LAUNCHER_SOURCES = [LAUNCHER_SOURCES.rds, LAUNCHER_SOURCES.s3] as const;

/** RDS's DB instance identifier: a letter, then letters, digits and single hyphens, 63 at most. */
export const dbInstanceIdentifierSchema = z
  .string()
  .regex(/^[a-z](?:-?[a-z0-9])*$/, "must be an RDS DB instance identifier")
  .max(63);

export const bucketNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name");

/** The database as the requester connects to it; the password stays in Secrets Manager. */
export const provisionedDatabaseSchema = z.strictObject({
  identifier: dbInstanceIdentifierSchema,
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** The Secrets Manager secret RDS keeps the master user's name and password in. */
  masterUserSecretArn: z.string().min(1),
  databaseName: z.string().min(1).optional(),
});

export const provisionedBucketSchema = z.strictObject({
  name: bucketNameSchema,
  arn: z.string().startsWith("arn:"),
  region: z.string().min(1),
});

export type ProvisionedDatabase = z.output<typeof provisionedDatabaseSchema>;
export type ProvisionedBucket = z.output<typeof provisionedBucketSchema>;

/** The field each resource type's launch is named by, in an event that must name it. */
export const LAUNCH_NAME_FIELDS = {
  ec2: "instanceId",
  rds: "dbInstanceIdentifier",
  s3: "bucketName",
} as const satisfies Record<ResourceType, string>;

/**
 * A refinement for the provisioning events: the event names the launch by its type's field (when
 * `required`), and by no other type's.
 */
export const namesItsLaunch =
  (fieldsByType: Record<ResourceType, string>, required: boolean) =>
  (
    detail: { request: { resource: { type: ResourceType } } } & Record<string, unknown>,
    context: z.RefinementCtx,
  ) => {
    const own = fieldsByType[detail.request.resource.type];
    for (const [type, field] of Object.entries(fieldsByType)) {
      const present = detail[field] !== undefined;
      if (field === own && required && !present) {
        context.addIssue({
          code: "custom",
          path: [field],
          input: undefined,
          message: `is required for ${type} requests`,
        });
      }
      if (field !== own && present) {
        context.addIssue({
          code: "custom",
          path: [field],
          input: detail[field],
          message: `must be absent: the request is for ${detail.request.resource.type}, not ${type}`,
        });
      }
    }
  };
