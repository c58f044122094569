import { z } from "zod";
import { defineEvent } from "./contract.ts";
import { justificationSchema, mustBe, requesterSchema, requestIdSchema, resourceSchema } from "./request.ts";

/** The public contract: the portal publishes it, and so may any outside system. Extend it, don't break it. */
export const ResourceRequested = defineEvent({
  source: "approvals.intake",
  openToAnySource: true,
  detailType: "ResourceRequested",
  description:
    "Someone asks for a resource. requestId is an optional idempotency key; intake generates one when absent.",
  schema: z.strictObject(
    {
      requestId: requestIdSchema.optional(),
      requester: requesterSchema,
      resource: resourceSchema,
      justification: justificationSchema,
    },
    mustBe("a JSON object"),
  ),
});
