import { z } from "zod";
import { requestIdSchema } from "../../events/request.ts";

/**
 * What chat's approval messages and decision's `POST /slack/interactions` agree on: the ids of the
 * Approve and Reject buttons, what a button carries, and the modal that asks a rejection's reason.
 * A button names the approval it was posted for (the request, its stage, and the extension round if
 * any) so a click on an older message is refused rather than taken for the approval as it is now.
 */

export const SLACK_ACTION_IDS = { approve: "approval.approve", reject: "approval.reject" } as const;

/** The modal Reject opens: its callback id, and the block and element of its reason input. */
export const REJECT_MODAL = {
  callbackId: "approval.reject-reason",
  reasonBlockId: "reason",
  reasonActionId: "reason",
} as const;

export const approvalButtonValueSchema = z.strictObject({
  requestId: requestIdSchema,
  /** The stage the message asked about, from 0. */
  stage: z.number().int().min(0),
  /** The extension round (ExtensionRef.n) the message asked about; absent for the request's own approval. */
  extension: z.number().int().min(1).optional(),
});

export type ApprovalButtonValue = z.output<typeof approvalButtonValueSchema>;

/** A button's `value` (Slack allows 2,000 characters; this is well under 200). */
export const encodeButtonValue = (value: ApprovalButtonValue): string => JSON.stringify(value);

/** The approval a button or modal names, or undefined when it is not one this app wrote. */
export const decodeButtonValue = (text: string): ApprovalButtonValue | undefined => {
  try {
    const parsed = approvalButtonValueSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
};
