import { z } from "zod";
import { approverSpecSchema, policyRefSchema } from "./approval-policy.ts";
import { defineEvent } from "./contract.ts";
import { extensionRefSchema, leaseTermsSchema } from "./lease.ts";
import { acceptedRequestSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

/**
 * Published once per accepted request, before anything else decision does for it: the audit trail and
 * the request page explain a request with it ("matched large-instances: 2 stages").
 */
export const ApprovalPolicyApplied = defineEvent({
  source: "approvals.decision",
  detailType: "ApprovalPolicyApplied",
  description:
    "The approval policy that decides the request, what it says (auto-approve, deny or stages of approvers) and why it matched.",
  schema: z.strictObject({
    requestId: requestIdSchema,
    /** Present when the approval is of an extension of the lease (its round), not of the request. */
    extension: extensionRefSchema.optional(),
    request: acceptedRequestSchema,
    /** The lease the policy settled for the request (absent on approvals from before leases). */
    lease: leaseTermsSchema.optional(),
    policy: policyRefSchema,
    outcome: z.enum(["autoApprove", "deny", "stages"]),
    /** The stages as the policy names their approvers; absent for autoApprove and deny. */
    stages: z
      .array(
        z.strictObject({
          name: z.string().min(1).max(100),
          approvers: approverSpecSchema,
          quorum: z.union([z.number().int().min(1), z.literal("all")]),
        }),
      )
      .optional(),
    /** The deadline of the whole approval; absent for autoApprove and deny. */
    expiresAt: isoTimestampSchema.optional(),
    /** In words: the policies skipped and why, then why this one applies. */
    why: z.array(z.string().max(500)).max(101),
    appliedAt: isoTimestampSchema,
  }),
});
