import { z } from "zod";
import { policyRefSchema } from "./approval-policy.ts";
import { defineEvent } from "./contract.ts";
import { acceptedRequestSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

export const RequestExpired = defineEvent({
  source: "approvals.decision",
  detailType: "RequestExpired",
  description: "Nobody decided before the approval links expired.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    expiresAt: isoTimestampSchema,
    expiredAt: isoTimestampSchema,
    /** The policy whose approval expired; absent on approvals asked before policies. */
    policy: policyRefSchema.optional(),
  }),
});
