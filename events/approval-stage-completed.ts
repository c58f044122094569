import { z } from "zod";
import { askedApproverSchema, stageRefSchema } from "./approval-policy.ts";
import { defineEvent } from "./contract.ts";
import { extensionRefSchema } from "./lease.ts";
import { isoTimestampSchema, requestIdSchema } from "./request.ts";

/** The last stage's completion is followed by RequestApproved; an earlier one's by the next ApprovalStageStarted. */
export const ApprovalStageCompleted = defineEvent({
  source: "approvals.decision",
  detailType: "ApprovalStageCompleted",
  description: "A stage reached its quorum of distinct approvals.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    /** Present when the approval is of an extension of the lease (its round), not of the request. */
    extension: extensionRefSchema.optional(),
    stage: stageRefSchema,
    approvedBy: z.array(askedApproverSchema).min(1),
    completedAt: isoTimestampSchema,
  }),
});
