import { z } from "zod";
import { defineEvent } from "./contract.ts";
import {
  acceptedRequestSchema,
  emailSchema,
  isoTimestampSchema,
  reasonSchema,
  requestIdSchema,
} from "./request.ts";

export const RequestApproved = defineEvent({
  source: "approvals.decision",
  detailType: "RequestApproved",
  description: "An approver approved the request; carries the request so launchers need no lookup.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    approver: emailSchema,
    reason: reasonSchema.optional(),
    decidedAt: isoTimestampSchema,
  }),
});
