import type { ViewsOpenArguments } from "@slack/web-api";
import { REASON_MAX_LENGTH } from "../../../events/request.ts";
import {
  type ApprovalButtonValue,
  encodeButtonValue,
  REJECT_MODAL,
} from "../../shared/slack-approval-actions.ts";

export type SlackView = ViewsOpenArguments["view"];

/**
 * The modal Reject opens, asking why: a rejection must say why, as on every other way to decide. It
 * carries the approval its button named (`private_metadata`), so its submission decides that approval
 * and nothing the request has moved on to since.
 */
export const rejectModal = (approval: ApprovalButtonValue): SlackView => {
  const subject = approval.extension ? "extension" : "request";
  return {
    type: "modal",
    callback_id: REJECT_MODAL.callbackId,
    private_metadata: encodeButtonValue(approval),
    title: { type: "plain_text", text: `Reject ${subject}` },
    submit: { type: "plain_text", text: "Reject" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "input",
        block_id: REJECT_MODAL.reasonBlockId,
        label: {
          type: "plain_text",
          text: `Why do you reject ${approval.extension ? "the extension of " : ""}request ${approval.requestId}?`,
        },
        hint: { type: "plain_text", text: "The requester will read it." },
        element: {
          type: "plain_text_input",
          action_id: REJECT_MODAL.reasonActionId,
          multiline: true,
          max_length: REASON_MAX_LENGTH,
        },
      },
    ],
  };
};
