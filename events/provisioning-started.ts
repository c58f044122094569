import { z } from "zod";
import { deciderSchema } from "./approval-policy.ts";
import { defineEvent } from "./contract.ts";
import {
  bucketNameSchema,
  dbInstanceIdentifierSchema,
  LAUNCH_NAME_FIELDS,
  namesItsLaunch,
  OTHER_LAUNCHER_SOURCES,
} from "./launched-resource.ts";
import { acceptedRequestSchema, instanceIdSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

export const ProvisioningStarted = defineEvent({
  source: "approvals.ec2-launcher",
  otherProducers: OTHER_LAUNCHER_SOURCES,
  detailType: "ProvisioningStarted",
  description:
    "The cloud accepted the create call: RunInstances (the instance is pending), CreateDBInstance (the database is being created) or CreateBucket. Each launcher publishes it under its own source.",
  schema: z
    .strictObject({
      requestId: requestIdSchema,
      request: acceptedRequestSchema,
      // Whoever approved: a person, or the policy that auto-approved the request (policy:<name>).
      approver: deciderSchema,
      instanceId: instanceIdSchema.optional(),
      dbInstanceIdentifier: dbInstanceIdentifierSchema.optional(),
      bucketName: bucketNameSchema.optional(),
      startedAt: isoTimestampSchema,
    })
    .superRefine(namesItsLaunch(LAUNCH_NAME_FIELDS, true)),
});
