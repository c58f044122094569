import { z } from "zod";
import { defineEvent } from "./contract.ts";
import {
  acceptedRequestSchema,
  emailSchema,
  instanceIdSchema,
  isoTimestampSchema,
  requestIdSchema,
} from "./request.ts";

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
