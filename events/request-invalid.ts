import { z } from "zod";
import { defineEvent } from "./contract.ts";
import { emailSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

export const RequestInvalid = defineEvent({
  source: "approvals.intake",
  detailType: "RequestInvalid",
  description:
    "A ResourceRequested detail failed the schema. Carries each field's reason; the requester, when usable, is told.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    /** Absent when the detail had no usable requester email: then nobody can be told. */
    requesterEmail: emailSchema.optional(),
    errors: z.array(z.strictObject({ field: z.string(), message: z.string() })).min(1),
    /** The id of the ResourceRequested event that was refused, to trace it in the audit trail. */
    sourceEventId: z.string(),
    rejectedAt: isoTimestampSchema,
  }),
});
