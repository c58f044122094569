import { groupsAdmittedTo } from "../../../api/access.ts";
import {
  type ApprovalAction,
  type ApprovalOutcome,
  type AwaitingApproval,
  decideApprovalRoute,
  listApprovalsRoute,
} from "../../../api/approvals.ts";
import { ApiError } from "../../../api/client.ts";
import { REASON_MAX_LENGTH } from "../../../events/request.ts";
import { admits, api } from "../api.ts";
import { extensionAskedInWords } from "../approval.ts";
import { h } from "../dom.ts";
import { labelledField } from "../field.ts";
import { humanTime } from "../format.ts";
import { showReasonRefusal } from "../reason-refusal.ts";
import type { SignedInUser } from "../sign-in.ts";
import { requestPageLink, statusBadge, summaryOf } from "./request.ts";

const BUTTONS: Record<ApprovalAction, { text: string; className: string }> = {
  approve: { text: "Approve", className: "" },
  reject: { text: "Reject", className: "reject" },
};

/** What is being decided: the request itself, or an extension of its lease (a round of its own). */
export type Deciding = "request" | "extension";

const DONE: Record<Deciding, Record<ApprovalOutcome["outcome"], string>> = {
  request: {
    APPROVED: "Approved. The requester will be told, and the resource will be provisioned.",
    REJECTED: "Rejected. The requester will be told, with your reason.",
  },
  extension: {
    APPROVED: "Extension approved. The requester will be told, and the lease ends later.",
    REJECTED: "Extension rejected. The requester will be told, with your reason; the lease ends as before.",
  },
};

/**
 * A reason box and one button per action; pressing one decides through `decide` and shows its
 * outcome, with a link to the request's page, in place of the form. A refusal is shown as the API words
 * it: the same rules, in the same words, as the emailed links; a refused reason (400) shows at the
 * reason box, as the request form shows its fields' errors, and leaves the form to try again.
 */
export const decisionForm = (
  id: string,
  actions: readonly ApprovalAction[],
  decide: (action: ApprovalAction, reason: string | undefined) => Promise<ApprovalOutcome>,
  deciding: Deciding = "request",
) => {
  const reason = labelledField({
    id: `${id}-reason`,
    label: "Reason",
    hint: actions.includes("reject")
      ? "Optional to approve; a rejection must say why. The requester reads it."
      : "Optional; shown to the requester.",
    control: h("textarea", { id: `${id}-reason`, name: "reason", maxlength: REASON_MAX_LENGTH }),
  });
  const message = h("p", { role: "status", "aria-live": "polite" });
  const buttons = actions.map((action) =>
    h(
      "button",
      { type: "button", class: BUTTONS[action].className, "data-action": action },
      BUTTONS[action].text,
    ),
  );
  const form = h(
    "div",
    { class: "decision-form" },
    reason.element,
    h("p", { class: "actions" }, ...buttons),
    message,
  );
  const showRefusal = (error: unknown) => {
    showReasonRefusal(error, reason, message);
    if (error instanceof ApiError && error.status === 400)
      for (const button of buttons) button.disabled = false;
  };
  for (const [index, action] of actions.entries()) {
    buttons[index]?.addEventListener("click", async () => {
      for (const button of buttons) button.disabled = true;
      reason.showError(undefined);
      message.className = "muted";
      message.setAttribute("role", "status");
      message.textContent = "Deciding…";
      try {
        const outcome = await decide(action, reason.control.value.trim() || undefined);
        // The pressed button goes with the form: focus moves to what replaces it, so the keyboard
        // carries on from there.
        const done = h(
          "p",
          { role: "status", tabindex: -1 },
          statusBadge(outcome.outcome),
          " ",
          outcome.waitingFor ? `Approved. ${outcome.waitingFor}` : DONE[deciding][outcome.outcome],
          " Follow it on the page of ",
          requestPageLink(outcome.requestId, `request ${outcome.requestId}`),
          ".",
        );
        form.replaceChildren(done);
        done.focus();
      } catch (error) {
        showRefusal(error);
      }
    });
  }
  return form;
};

/**
 * What an extension round asks, above the request it extends: the lease's end now and the one asked
 * for, and the requester's reason for more time.
 */
export const extensionAsked = ({
  n,
  from,
  until,
  justification,
}: NonNullable<AwaitingApproval["extension"]>) =>
  h(
    "div",
    { class: "extension-asked", "data-extension": n },
    h(
      "p",
      {},
      h("span", { class: "badge warn" }, `Extension ${n} of the lease`),
      " ",
      extensionAskedInWords({ from, until }),
    ),
    h("p", {}, "Why: ", h("q", {}, justification)),
  );

const approvalCard = (view: AwaitingApproval) => {
  const { extension } = view;
  // An extension round has its own deadline; the request's passed when the request was decided.
  const deadline = extension ? extension.expiresAt : view.expiresAt;
  return h(
    "section",
    {
      class: "card approval",
      "aria-labelledby": `approval-${view.requestId}`,
      "data-request-id": view.requestId,
      ...(extension && { "data-extension": extension.n }),
    },
    h(
      "h2",
      { id: `approval-${view.requestId}` },
      extension ? "Extension of the lease of request " : "Request ",
      requestPageLink(view.requestId),
    ),
    extension ? extensionAsked(extension) : null,
    summaryOf(view),
    deadline ? h("p", { class: "muted" }, `Decide before ${humanTime(deadline)}.`) : null,
    decisionForm(
      `decide-${view.requestId}`,
      ["approve", "reject"],
      (action, reason) =>
        api.call(decideApprovalRoute, { params: { requestId: view.requestId }, body: { action, reason } }),
      extension ? "extension" : "request",
    ),
  );
};

/** The Approvals page: every request awaiting the signed-in approver's decision, each decided in place. */
export const renderApprovals = (main: HTMLElement, user: SignedInUser) => {
  const live = h("div", { "aria-live": "polite" }, h("p", { class: "muted" }, "Loading…"));
  main.replaceChildren(h("h1", {}, "Approvals"), live);
  if (!admits(listApprovalsRoute, user)) {
    const groups = groupsAdmittedTo(listApprovalsRoute) ?? [];
    live.replaceChildren(h("p", {}, `Only ${groups.join(" or ")} decide requests. You are not among them.`));
    return;
  }
  api.call(listApprovalsRoute, {}).then(
    ({ items }) =>
      live.replaceChildren(
        ...(items.length === 0
          ? [h("p", { class: "muted" }, "Nothing awaits your decision.")]
          : items.map(approvalCard)),
      ),
    (error: unknown) =>
      live.replaceChildren(
        h(
          "p",
          { role: "alert" },
          `Could not load your approvals: ${error instanceof Error ? error.message : String(error)}`,
        ),
      ),
  );
};
