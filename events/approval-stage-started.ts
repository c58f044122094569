import { z } from "zod";
import { askedApproverSchema, policyRefSchema, stageRefSchema } from "./approval-policy.ts";
import { defineEvent } from "./contract.ts";
import { acceptedRequestSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

/** approval-mail mails the stage's approvers on it; the first stage starts when the policy is applied. */
export const ApprovalStageStarted = defineEvent({
  source: "approvals.decision",
  detailType: "ApprovalStageStarted",
  description:
    "A stage of the request's approval starts: these approvers (never the requester) are asked, and quorum of them must approve.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    policy: policyRefSchema,
    stage: stageRefSchema,
    approvers: z.array(askedApproverSchema).min(1),
    /** Distinct approvals that complete the stage ("all" resolved to the number asked). */
    quorum: z.number().int().min(1),
    expiresAt: isoTimestampSchema,
    startedAt: isoTimestampSchema,
  }),
});
