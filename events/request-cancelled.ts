import { z } from "zod";
import { approvalVoteSchema, policyRefSchema } from "./approval-policy.ts";
import { defineEvent } from "./contract.ts";
import {
  acceptedRequestSchema,
  emailSchema,
  isoTimestampSchema,
  reasonSchema,
  requestIdSchema,
} from "./request.ts";

export const RequestCancelled = defineEvent({
  source: "approvals.decision",
  detailType: "RequestCancelled",
  description:
    "The requester withdrew the request while it waited for approval: nothing is decided or provisioned, and its links stop working.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    /** The requester who withdrew it, as they were signed in. */
    cancelledBy: emailSchema,
    /** Why, when the requester said. */
    reason: reasonSchema.optional(),
    /** The policy whose approval was withdrawn; absent on approvals asked before policies. */
    policy: policyRefSchema.optional(),
    /** The approvals counted before the withdrawal, all stages. */
    approvals: z.array(approvalVoteSchema).optional(),
    cancelledAt: isoTimestampSchema,
  }),
});
