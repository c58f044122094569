import { z } from "zod";
import { defineEvent } from "./contract.ts";
import { emailSchema, isoTimestampSchema } from "./request.ts";

/** A time an approver is away, and who decides for them meanwhile. */
export const delegationWindowSchema = z.strictObject({
  from: isoTimestampSchema,
  to: isoTimestampSchema,
  delegate: emailSchema,
});

/**
 * An approver's delegations as they now stand, whole: consumers keep the newest (by `changedAt`) and
 * need no earlier one. No windows: the approver is away at no time.
 */
export const DelegationChanged = defineEvent({
  source: "approvals.delegation",
  detailType: "DelegationChanged",
  description:
    "An approver set or cleared the times they are away and who decides for them meanwhile; carries every window they now have.",
  schema: z.strictObject({
    approver: emailSchema,
    windows: z.array(delegationWindowSchema),
    changedAt: isoTimestampSchema,
  }),
});
