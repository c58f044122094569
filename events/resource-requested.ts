import { z } from "zod";
import { defineEvent } from "./contract.ts";
import { mustBe } from "./fields.ts";
import { requestedLeaseSchema } from "./lease-duration.ts";
import { regionSchema } from "./region.ts";
import { justificationSchema, requesterSchema, requestIdSchema, resourceSchema } from "./request.ts";
import { REFUSAL_ID_PREFIX } from "./request-id.ts";

/**
 * A caller's id may not pass for a refusal's, whose timeline would then hold someone else's request.
 * A pattern rather than a refinement, so the exported JSON Schema states it too.
 */
const callerRequestIdSchema = requestIdSchema.regex(
  new RegExp(`^(?!${REFUSAL_ID_PREFIX})`),
  `must not begin with ${REFUSAL_ID_PREFIX}, which names refused submissions`,
);

/** The public contract: the portal publishes it, and so may any outside system. Extend it, don't break it. */
export const ResourceRequested = defineEvent({
  source: "approvals.intake",
  openToAnySource: true,
  detailType: "ResourceRequested",
  description:
    "Someone asks for a resource. requestId is an optional idempotency key; intake generates one when absent.",
  schema: z.strictObject(
    {
      requestId: callerRequestIdSchema.optional(),
      requester: requesterSchema,
      resource: resourceSchema,
      justification: justificationSchema,
      /** Where the resource is created: one of the operator's allowed regions; intake's default when absent. */
      region: regionSchema.optional(),
      /**
       * How long to keep the resource once it is PROVISIONED (ISO 8601, e.g. P7D), or "none" where a
       * policy allows no end; the policy's default (else LEASE_DEFAULT) when absent.
       */
      lease: requestedLeaseSchema.optional(),
    },
    mustBe("a JSON object"),
  ),
});
