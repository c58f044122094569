import { z } from "zod";
import { defineEvent } from "./contract.ts";
import { acceptedRequestSchema, instanceIdSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

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
