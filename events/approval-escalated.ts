import { z } from "zod";
import { stageRefSchema } from "./approval-policy.ts";
import { defineEvent } from "./contract.ts";
import { extensionRefSchema, leaseTermsSchema } from "./lease.ts";
import { acceptedRequestSchema, emailSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

/** approval-mail asks the added approvers as it asks a stage's, saying they are asked as escalation. */
export const ApprovalEscalated = defineEvent({
  source: "approvals.decision",
  detailType: "ApprovalEscalated",
  description:
    "The stage was not complete after the policy's escalation delay: its escalation approvers are added to the stage's approvers.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    /** Present when the approval is of an extension of the lease (its round), not of the request. */
    extension: extensionRefSchema.optional(),
    request: acceptedRequestSchema,
    /** The lease the request's policy settled, as the stage's first email showed it; absent before leases. */
    lease: leaseTermsSchema.optional(),
    stage: stageRefSchema,
    /** Only those the stage did not ask before; never the requester, never anyone who voted. */
    approvers: z.array(emailSchema).min(1),
    /** Distinct approvals that complete the stage, unchanged by the escalation. */
    quorum: z.number().int().min(1),
    expiresAt: isoTimestampSchema,
    escalatedAt: isoTimestampSchema,
  }),
});
