import { z } from "zod";
import { stageRefSchema } from "./approval-policy.ts";
import { defineEvent } from "./contract.ts";
import { extensionRefSchema, leaseTermsSchema } from "./lease.ts";
import { acceptedRequestSchema, emailSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

/** approval-mail sends each of these approvers a reminder with fresh links. */
export const ApproversReminded = defineEvent({
  source: "approvals.decision",
  detailType: "ApproversReminded",
  description:
    "The approvers of the current stage who have not answered yet are reminded (reminder n of at most max).",
  schema: z.strictObject({
    requestId: requestIdSchema,
    /** Present when the approval is of an extension of the lease (its round), not of the request. */
    extension: extensionRefSchema.optional(),
    request: acceptedRequestSchema,
    /** The lease the request's policy settled, as the stage's first email showed it; absent before leases. */
    lease: leaseTermsSchema.optional(),
    stage: stageRefSchema,
    /** Asked in the stage and not voted yet. */
    approvers: z.array(emailSchema).min(1),
    /** Distinct approvals that complete the stage. */
    quorum: z.number().int().min(1),
    reminder: z.strictObject({ n: z.number().int().min(1), max: z.number().int().min(1) }),
    expiresAt: isoTimestampSchema,
    remindedAt: isoTimestampSchema,
  }),
});
