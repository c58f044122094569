import { z } from "zod";
import { approvalVoteSchema, deciderSchema, policyRefSchema } from "./approval-policy.ts";
import { defineEvent } from "./contract.ts";
import { leaseTermsSchema } from "./lease.ts";
import { acceptedRequestSchema, isoTimestampSchema, reasonSchema, requestIdSchema } from "./request.ts";

export const RequestApproved = defineEvent({
  source: "approvals.decision",
  detailType: "RequestApproved",
  description:
    "The request is approved: by the approver whose approval completed the last stage, or by a policy's auto-approval (policy:<name>); carries the request so launchers need no lookup.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    /** The lease the policy settled for the request (absent on approvals from before leases). */
    lease: leaseTermsSchema.optional(),
    /** The approver whose approval completed the last stage, or `policy:<name>` for an auto-approval. */
    approver: deciderSchema,
    reason: reasonSchema.optional(),
    /** The policy that decided how the request is approved; absent on approvals asked before policies. */
    policy: policyRefSchema.optional(),
    /** Every approval counted, all stages, in the order given. */
    approvals: z.array(approvalVoteSchema).optional(),
    decidedAt: isoTimestampSchema,
  }),
});
