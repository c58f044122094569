import { z } from "zod";
import { askedApproverSchema, policyRefSchema, stageRefSchema } from "./approval-policy.ts";
import { defineEvent } from "./contract.ts";
import { extensionRefSchema, leaseTermsSchema } from "./lease.ts";
import { acceptedRequestSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

/** approval-mail mails the stage's approvers on it; the first stage starts when the policy is applied. */
export const ApprovalStageStarted = defineEvent({
  source: "approvals.decision",
  detailType: "ApprovalStageStarted",
  description:
    "A stage of the request's approval starts: these approvers (never the requester) are asked, and quorum of them must approve.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    /** Present when the approval is of an extension of the lease (its round), not of the request. */
    extension: extensionRefSchema.optional(),
    request: acceptedRequestSchema,
    /** The lease the policy settled for the request (absent on approvals from before leases). */
    lease: leaseTermsSchema.optional(),
    policy: policyRefSchema,
    stage: stageRefSchema,
    approvers: z.array(askedApproverSchema).min(1),
    /** Distinct approvals that complete the stage ("all" resolved to the number asked). */
    quorum: z.number().int().min(1),
    expiresAt: isoTimestampSchema,
    startedAt: isoTimestampSchema,
  }),
});
