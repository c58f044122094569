import { z } from "zod";
import { defineEvent } from "./contract.ts";
import { emailSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

/**
 * Outside publishers watch for their refusals (matching `givenRequestId` or `sourceEventId`): like
 * `ResourceRequested`, extend it, don't break it.
 */
export const RequestInvalid = defineEvent({
  source: "approvals.intake",
  detailType: "RequestInvalid",
  description:
    "A ResourceRequested was refused: its detail failed the schema, or its requestId already named a request with other content. Carries each field's reason; the requester, when usable, is told. requestId is the refusal's own (refused-…, from the refused event's id); givenRequestId is the id the refused detail went by.",
  schema: z.strictObject({
    /** The refusal's own id (`refusalIdOf(sourceEventId)`), never another request's. */
    requestId: requestIdSchema,
    /**
     * The id the refused detail went by, so its publisher can match the refusal: the one it named,
     * when well formed, or for a valid detail without one the id derived from its content. Absent
     * when it named no usable id.
     */
    givenRequestId: requestIdSchema.optional(),
    /** Absent when the detail had no usable requester email: then nobody can be told. */
    requesterEmail: emailSchema.optional(),
    errors: z.array(z.strictObject({ field: z.string(), message: z.string() })).min(1),
    /** The id of the ResourceRequested event that was refused, to trace it in the audit trail. */
    sourceEventId: z.string(),
    rejectedAt: isoTimestampSchema,
  }),
});
