import { z } from "zod";
import { defineEvent } from "./contract.ts";
import {
  bucketNameSchema,
  dbInstanceIdentifierSchema,
  LAUNCH_NAME_FIELDS,
  namesItsLaunch,
  OTHER_LAUNCHER_SOURCES,
} from "./launched-resource.ts";
import { acceptedRequestSchema, instanceIdSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

export const ProvisioningFailed = defineEvent({
  source: "approvals.ec2-launcher",
  otherProducers: OTHER_LAUNCHER_SOURCES,
  detailType: "ProvisioningFailed",
  description:
    "The launch failed for good (a permanent API error, the instance ended before it ran, the database failed to create, the bucket belongs to someone else). It names what was created, if anything was.",
  schema: z
    .strictObject({
      requestId: requestIdSchema,
      request: acceptedRequestSchema,
      instanceId: instanceIdSchema.optional(),
      dbInstanceIdentifier: dbInstanceIdentifierSchema.optional(),
      bucketName: bucketNameSchema.optional(),
      errorCode: z.string().optional(),
      reason: z.string().min(1),
      failedAt: isoTimestampSchema,
    })
    .superRefine(namesItsLaunch(LAUNCH_NAME_FIELDS, false)),
});
