import { z } from "zod";
import { defineEvent } from "./contract.ts";
import {
  namesItsLaunch,
  OTHER_LAUNCHER_SOURCES,
  provisionedBucketSchema,
  provisionedDatabaseSchema,
} from "./launched-resource.ts";
import { acceptedRequestSchema, instanceIdSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

export const ResourceProvisioned = defineEvent({
  source: "approvals.ec2-launcher",
  otherProducers: OTHER_LAUNCHER_SOURCES,
  detailType: "ResourceProvisioned",
  description:
    "The resource is ready: the instance runs (instanceId, privateIp), the database is available (database: endpoint and the secret holding its password) or the bucket is configured (bucket).",
  schema: z
    .strictObject({
      requestId: requestIdSchema,
      request: acceptedRequestSchema,
      instanceId: instanceIdSchema.optional(),
      privateIp: z.ipv4().optional(),
      database: provisionedDatabaseSchema.optional(),
      bucket: provisionedBucketSchema.optional(),
      provisionedAt: isoTimestampSchema,
    })
    .superRefine(namesItsLaunch({ ec2: "instanceId", rds: "database", s3: "bucket" }, true)),
});
