import { z } from "zod";
import { defineEvent } from "./contract.ts";
import { acceptedRequestSchema, emailSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

export const instanceIdSchema = z.string().regex(/^i-[0-9a-f]{8,17}$/, "must look like i-0123456789abcdef0");

export const ProvisioningStarted = defineEvent({
  source: "approvals.ec2-launcher",
  detailType: "ProvisioningStarted",
  description: "RunInstances accepted the launch; the instance is pending.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    approver: emailSchema,
    instanceId: instanceIdSchema,
    startedAt: isoTimestampSchema,
  }),
});

export const ResourceProvisioned = defineEvent({
  source: "approvals.ec2-launcher",
  detailType: "ResourceProvisioned",
  description: "The instance is running.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    instanceId: instanceIdSchema,
    privateIp: z.ipv4().optional(),
    provisionedAt: isoTimestampSchema,
  }),
});

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
