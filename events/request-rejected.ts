import { z } from "zod";
import { ApprovalRequested } from "./approval-requested.ts";
import { defineEvent } from "./contract.ts";
import {
  acceptedRequestSchema,
  emailSchema,
  isoTimestampSchema,
  reasonSchema,
  requestIdSchema,
} from "./request.ts";

export const RequestRejected = defineEvent({
  source: "approvals.decision",
  // approval-mail refuses by policy, under its own source, before any approver is asked.
  otherProducers: [ApprovalRequested.source],
  detailType: "RequestRejected",
  description:
    "An approver rejected the request, or policy refused it before anyone was asked (approver absent, e.g. no approver other than the requester).",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    /** Absent when the request was refused by policy rather than by a person. */
    approver: emailSchema.optional(),
    reason: reasonSchema,
    decidedAt: isoTimestampSchema,
  }),
});
