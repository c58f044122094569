import { z } from "zod";
import { defineEvent } from "./contract.ts";
import { emailSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

export const RequesterNotified = defineEvent({
  source: "approvals.notifier",
  detailType: "RequesterNotified",
  description: "The requester was emailed about an event of their request.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    requesterEmail: emailSchema,
    /** The detail-type of the event the email was about. */
    about: z.string(),
    /** The id of that event: one email per event, however often it is delivered. */
    aboutEventId: z.string(),
    messageId: z.string(),
    notifiedAt: isoTimestampSchema,
  }),
});
