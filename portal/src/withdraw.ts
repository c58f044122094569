import { withdrawRequestRoute } from "../../api/contract.ts";
import { REASON_MAX_LENGTH } from "../../events/request.ts";
import { api, type ShownRequest } from "./api.ts";
import { h } from "./dom.ts";
import { labelledField } from "./field.ts";
import { statusLabel } from "./format.ts";
import { showReasonRefusal } from "./reason-refusal.ts";
import type { SignedInUser } from "./sign-in.ts";

/** The statuses in which a request still waits for approval, so its requester may withdraw it. */
const WITHDRAWABLE: ReadonlySet<string> = new Set(["SUBMITTED", "PENDING_APPROVAL"]);

/**
 * Whether the request page offers `user` to withdraw the request: theirs (by email, whatever its
 * case; the API judges by their identity) and still waiting for approval.
 */
export const mayOfferWithdrawal = (view: ShownRequest, user: SignedInUser): boolean =>
  WITHDRAWABLE.has(view.status) && view.requester?.email.toLowerCase() === user.email.toLowerCase();

/**
 * "Withdraw request", then a confirmation with an optional reason: nothing is withdrawn by one click.
 * Once withdrawn, the panel says so until the page shows the request Cancelled; a refusal is shown as
 * the API words it (a refused reason at the reason box).
 */
export const withdrawPanel = (requestId: string, onWithdrawn: () => void) => {
  const panel = h("section", { class: "card withdraw", "aria-labelledby": "withdraw-title" });
  const start = h(
    "button",
    { type: "button", class: "reject", "data-action": "withdraw" },
    "Withdraw request",
  );

  const offer = () => {
    panel.replaceChildren(
      h("h2", { id: "withdraw-title" }, "No longer needed?"),
      h("p", { class: "actions" }, start),
    );
  };

  const confirmStep = () => {
    const reason = labelledField({
      id: "withdraw-reason",
      label: "Reason",
      optional: true,
      hint: "Shown to the approvers who were asked.",
      control: h("textarea", { id: "withdraw-reason", name: "reason", maxlength: REASON_MAX_LENGTH }),
    });
    const confirm = h(
      "button",
      { type: "button", class: "reject", "data-action": "confirm-withdraw" },
      "Withdraw",
    );
    const keep = h("button", { type: "button", class: "secondary", "data-action": "keep" }, "Keep request");
    const message = h("p", { role: "status", "aria-live": "polite" });
    panel.replaceChildren(
      h("h2", { id: "withdraw-title" }, "Withdraw this request?"),
      h("p", {}, "The approvers' links stop working and nothing will be provisioned. This cannot be undone."),
      reason.element,
      h("p", { class: "actions" }, confirm, keep),
      message,
    );
    reason.control.focus();
    keep.addEventListener("click", () => {
      offer();
      start.focus();
    });
    confirm.addEventListener("click", async () => {
      confirm.disabled = true;
      keep.disabled = true;
      reason.showError(undefined);
      message.className = "muted";
      message.textContent = "Withdrawing…";
      try {
        const body = reason.control.value.trim() ? { reason: reason.control.value.trim() } : {};
        const answer = await api.call(withdrawRequestRoute, { params: { id: requestId }, body });
        const done = h(
          "p",
          { role: "status", tabindex: -1, "data-withdrawn": answer.status },
          `Withdrawn: the request is ${statusLabel(answer.status)}. The approvers still asked are told.`,
        );
        panel.replaceChildren(h("h2", { id: "withdraw-title" }, "Request withdrawn"), done);
        done.focus();
        onWithdrawn();
      } catch (error) {
        showReasonRefusal(error, reason, message);
        confirm.disabled = false;
        keep.disabled = false;
      }
    });
  };

  start.addEventListener("click", confirmStep);
  offer();
  return panel;
};
