import { z } from "zod";
import { approvalVoteSchema, deciderSchema, policyRefSchema } from "./approval-policy.ts";
import { ApprovalRequested } from "./approval-requested.ts";
import { defineEvent } from "./contract.ts";
import { acceptedRequestSchema, isoTimestampSchema, reasonSchema, requestIdSchema } from "./request.ts";

export const RequestRejected = defineEvent({
  source: "approvals.decision",
  // approval-mail refuses by policy, under its own source, before any approver is asked.
  otherProducers: [ApprovalRequested.source],
  detailType: "RequestRejected",
  description:
    "An approver rejected the request, or a policy refused it (approver policy:<name>: a deny, or fewer eligible approvers than a stage's quorum), or approval-mail refused it before anyone was asked (approver absent).",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    /** The rejecting approver, `policy:<name>` when a policy refused it, absent when approval-mail did. */
    approver: deciderSchema.optional(),
    reason: reasonSchema,
    policy: policyRefSchema.optional(),
    /** The approvals counted before the rejection, all stages. */
    approvals: z.array(approvalVoteSchema).optional(),
    decidedAt: isoTimestampSchema,
  }),
});
