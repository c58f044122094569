import { z } from "zod";
import { defineEvent } from "./contract.ts";
import { emailSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

/** Why an address gets no more email: its server refused one for good, or its owner called one spam. */
export const SUPPRESSION_REASONS = ["BOUNCE", "COMPLAINT"] as const;

export const EmailSuppressed = defineEvent({
  source: "approvals.notifier",
  detailType: "EmailSuppressed",
  description:
    "An email about the request was not sent: its recipient's address bounced for good or complained before.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    recipient: emailSchema,
    reason: z.enum(SUPPRESSION_REASONS),
    /** The detail-type of the event the email would have been about. */
    about: z.string(),
    /** The id of that event: one record per event and recipient, however often it is delivered. */
    aboutEventId: z.string(),
    suppressedAt: isoTimestampSchema,
  }),
});
