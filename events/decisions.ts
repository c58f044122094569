import { z } from "zod";
import { ApprovalRequested } from "./approval-requested.ts";
import { defineEvent } from "./contract.ts";
import { acceptedRequestSchema, emailSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

export const REASON_MAX_LENGTH = 1000;

const reasonSchema = z
  .string()
  .trim()
  .max(REASON_MAX_LENGTH, `must be at most ${REASON_MAX_LENGTH} characters`);

export const RequestApproved = defineEvent({
  source: "approvals.decision",
  detailType: "RequestApproved",
  description: "An approver approved the request; carries the request so launchers need no lookup.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    approver: emailSchema,
    reason: reasonSchema.optional(),
    decidedAt: isoTimestampSchema,
  }),
});

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

export const RequestExpired = defineEvent({
  source: "approvals.decision",
  detailType: "RequestExpired",
  description: "Nobody decided before the approval links expired.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    request: acceptedRequestSchema,
    expiresAt: isoTimestampSchema,
    expiredAt: isoTimestampSchema,
  }),
});
