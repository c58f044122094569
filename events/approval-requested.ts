import { z } from "zod";
import { defineEvent } from "./contract.ts";
import { emailSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

/** Never carries a token: anyone subscribed to the bus could otherwise decide. */
export const ApprovalRequested = defineEvent({
  source: "approvals.approval-mail",
  detailType: "ApprovalRequested",
  description: "Approval emails went out to these approvers; their links expire at expiresAt.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    approvers: z.array(emailSchema).min(1),
    expiresAt: isoTimestampSchema,
    requestedAt: isoTimestampSchema,
  }),
});
