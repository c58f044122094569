import { z } from "zod";
import { defineEvent } from "./contract.ts";
import { acceptedRequestSchema, isoTimestampSchema } from "./request.ts";

export const RequestAccepted = defineEvent({
  source: "approvals.intake",
  detailType: "RequestAccepted",
  description:
    "Intake validated and stored the request; it travels here so no consumer reads intake's table.",
  schema: z.strictObject({
    requestId: acceptedRequestSchema.shape.requestId,
    request: acceptedRequestSchema,
    acceptedAt: isoTimestampSchema,
  }),
});
