import { z } from "zod";
import { defineEvent } from "./contract.ts";
import { acceptedRequestSchema, instanceIdSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

export const ProvisioningFailed = defineEvent({
  source: "approvals.ec2-launcher",
  detailType: "ProvisioningFailed",
  description: "The launch failed for good (a permanent API error, or the instance ended before it ran).",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    instanceId: instanceIdSchema.optional(),
    errorCode: z.string().optional(),
    reason: z.string().min(1),
    failedAt: isoTimestampSchema,
  }),
});
