import { z } from "zod";
import { stageRefSchema } from "./approval-policy.ts";
import { defineEvent } from "./contract.ts";
import { extensionRefSchema } from "./lease.ts";
import { emailSchema, isoTimestampSchema, reasonSchema, requestIdSchema } from "./request.ts";

/** One approver's answer, counted once: a rejection also ends the request (RequestRejected follows). */
export const ApprovalVoteRecorded = defineEvent({
  source: "approvals.decision",
  detailType: "ApprovalVoteRecorded",
  description:
    "An approver approved or rejected in a stage; carries the stage's count of approvals so far against its quorum.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    /** Present when the approval is of an extension of the lease (its round), not of the request. */
    extension: extensionRefSchema.optional(),
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
