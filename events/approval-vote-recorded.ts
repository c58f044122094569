import { z } from "zod";
import { stageRefSchema } from "./approval-policy.ts";
import { defineEvent } from "./contract.ts";
import { emailSchema, isoTimestampSchema, reasonSchema, requestIdSchema } from "./request.ts";

/** One approver's answer, counted once: a rejection also ends the request (RequestRejected follows). */
export const ApprovalVoteRecorded = defineEvent({
  source: "approvals.decision",
  detailType: "ApprovalVoteRecorded",
  description:
    "An approver approved or rejected in a stage; carries the stage's count of approvals so far against its quorum.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    stage: stageRefSchema,
    approver: emailSchema,
    /** The approver they decided for, when they decided as a delegate. */
    onBehalfOf: emailSchema.optional(),
    action: z.enum(["approve", "reject"]),
    reason: reasonSchema.optional(),
    approvals: z.number().int().min(0),
    quorum: z.number().int().min(1),
    votedAt: isoTimestampSchema,
  }),
});
