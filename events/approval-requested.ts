import { z } from "zod";
import { stageRefSchema } from "./approval-policy.ts";
import { defineEvent } from "./contract.ts";
import { extensionRefSchema } from "./lease.ts";
import { acceptedRequestSchema, emailSchema, isoTimestampSchema, requestIdSchema } from "./request.ts";

/** The SHA-256 of a decision link's token, base64url: what a presented link is checked against. */
export const linkHashSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, "must be the base64url SHA-256 of a link's token");

const issuedLinkHashesSchema = z.strictObject({
  approve: z.array(linkHashSchema).min(1),
  reject: z.array(linkHashSchema).min(1),
});

/**
 * Never carries a token, only hashes of tokens: anyone subscribed to the bus could otherwise decide.
 * Published before the mails go out, and again, with the hashes added, when a retry of an interrupted
 * mailing issues fresh links; each copy holds every hash issued so far, so its subscribers merge them.
 */
export const ApprovalRequested = defineEvent({
  source: "approvals.approval-mail",
  detailType: "ApprovalRequested",
  description:
    "Approval emails are going out to these approvers; their links, known here by hash, expire at expiresAt.",
  schema: z
    .strictObject({
      requestId: requestIdSchema,
      /** Present when the approval is of an extension of the lease (its round), not of the request. */
      extension: extensionRefSchema.optional(),
      request: acceptedRequestSchema,
      /** The approvers of the stage asked (`stage`), or of the whole request when absent. */
      approvers: z.array(emailSchema).min(1),
      stage: stageRefSchema.optional(),
      /** Per approver, the hashes of the approve and reject links issued to them so far. */
      linkHashes: z.record(emailSchema, issuedLinkHashesSchema),
      expiresAt: isoTimestampSchema,
      requestedAt: isoTimestampSchema,
    })
    .superRefine(({ approvers, linkHashes }, context) => {
      const asked = new Set(approvers);
      for (const approver of new Set([...approvers, ...Object.keys(linkHashes)])) {
        if (asked.has(approver) !== Object.hasOwn(linkHashes, approver)) {
          context.addIssue({
            code: "custom",
            path: ["linkHashes", approver],
            message: "must hold the links of every approver and of nobody else",
          });
        }
      }
    }),
});
