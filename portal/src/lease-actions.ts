import { ApiError } from "../../api/client.ts";
import { extendLeaseRoute, releaseNowRoute } from "../../api/contract.ts";
import { END_ACTION_DONE_WORDS } from "../../api/request-words.ts";
import { extensionBodySchema } from "../../api/schemas.ts";
import { REASON_MAX_LENGTH } from "../../events/request.ts";
import { type FieldError, fieldErrorsOf } from "../../events/validation.ts";
import { api, type ShownRequest } from "./api.ts";
import { h } from "./dom.ts";
import { type Field, labelledField } from "./field.ts";
import { humanTime } from "./format.ts";
import { type LeaseAction, type LeaseOffer, leaseOfferTo, releaseConsequence } from "./lease.ts";
import { showReasonRefusal } from "./reason-refusal.ts";
import { durationError } from "./request-form.ts";
import type { SignedInUser } from "./sign-in.ts";

const CUSTOM_EXTENSION = "custom";

/** How much longer an extension asks for: a few common lengths, or any ISO 8601 duration. */
const EXTENSION_CHOICES: readonly (readonly [value: string, text: string])[] = [
  ["P1D", "+1 day"],
  ["P3D", "+3 days"],
  ["P7D", "+7 days"],
  [CUSTOM_EXTENSION, "Custom…"],
];

const dialogOf = (titleId: string, title: string) =>
  h("dialog", { class: "card lease-dialog", "aria-labelledby": titleId }, h("h2", { id: titleId }, title));

/** Shows each field's problem beside its field and focuses the first; whether any was one of `fields`. */
const showFieldErrors = (fieldErrors: readonly FieldError[], fields: Record<string, Field>): boolean => {
  const placed = fieldErrors.filter(({ field }) => fields[field]);
  for (const { field, message } of placed) fields[field]?.showError(message);
  fields[placed[0]?.field ?? ""]?.control.focus();
  return placed.length > 0;
};

/** Shows a refusal of the API: its fields' problems beside them (400), anything else as an alert. */
const showRefusal = (error: unknown, fields: Record<string, Field>, message: HTMLElement) => {
  if (error instanceof ApiError && showFieldErrors(error.fieldErrors, fields)) {
    message.textContent = "";
    return;
  }
  message.className = "error";
  message.setAttribute("role", "alert");
  message.textContent = error instanceof Error ? error.message : String(error);
};

/**
 * "Extend…": how much longer (+1, +3, +7 days or a duration typed in) and why, checked with the API's
 * own schema before it is sent; answered, `onAsked` is told what was asked.
 */
const extendDialog = (requestId: string, view: ShownRequest, onAsked: (words: string) => void) => {
  const dialog = dialogOf("extend-title", "Extend the lease");
  const by = labelledField({
    id: "extend-by",
    label: "Extend by",
    control: h(
      "select",
      { id: "extend-by", name: "by" },
      ...EXTENSION_CHOICES.map(([value, text]) => h("option", { value }, text)),
    ),
  });
  const custom = labelledField({
    id: "extend-custom",
    label: "Custom extension",
    hint: "An ISO 8601 duration: PT12H for 12 hours, P14D for 14 days.",
    control: h("input", { id: "extend-custom", name: "custom", type: "text", autocapitalize: "none" }),
  });
  const justification = labelledField({
    id: "extend-justification",
    label: "Justification",
    hint: "Why it is needed longer; shown to the approvers.",
    required: true,
    control: h("textarea", { id: "extend-justification", name: "justification" }),
  });
  const customSlot = h("div", {});
  const isCustom = () => by.control.value === CUSTOM_EXTENSION;
  by.control.addEventListener("change", () => {
    customSlot.replaceChildren(...(isCustom() ? [custom.element] : []));
    if (isCustom()) custom.control.focus();
  });
  custom.control.addEventListener("change", () => custom.showError(durationError(custom.control.value)));
  const submit = h("button", { type: "submit" }, "Ask for more time");
  const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
  const message = h("p", { role: "status", "aria-live": "polite" });
  // The body's `by` is the choice, or the duration typed in: its problems show where it was given.
  const fields = () => ({ by: isCustom() ? custom : by, justification });
  const form = h(
    "form",
    { novalidate: true },
    h(
      "p",
      {},
      `The lease ends ${humanTime(view.lease?.endsAt ?? undefined)}; then the resource is ${END_ACTION_DONE_WORDS[view.lease?.onEnd ?? "terminate"]}. An extension goes through the approval policy like the request did.`,
    ),
    by.element,
    customSlot,
    justification.element,
    message,
    h("p", { class: "actions" }, submit, cancel),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const field of [by, custom, justification]) field.showError(undefined);
    message.textContent = "";
    const customProblem = isCustom() ? durationError(custom.control.value) : undefined;
    const checked = extensionBodySchema.safeParse({
      by: isCustom() ? custom.control.value.trim() : by.control.value,
      justification: justification.control.value,
    });
    if (customProblem || !checked.success) {
      showFieldErrors(
        [
          ...(customProblem ? [{ field: "by", message: customProblem }] : []),
          ...(checked.success ? [] : fieldErrorsOf(checked.error)),
        ],
        fields(),
      );
      return;
    }
    submit.disabled = true;
    message.className = "muted";
    message.textContent = "Asking…";
    try {
      const asked = await api.call(extendLeaseRoute, { params: { id: requestId }, body: checked.data });
      dialog.close();
      onAsked(
        `Asked: extension ${asked.n}, until ${humanTime(asked.until)} (the lease ends ${humanTime(asked.from)} until it is approved).`,
      );
    } catch (error) {
      showRefusal(error, fields(), message);
    } finally {
      submit.disabled = false;
    }
  });
  cancel.addEventListener("click", () => dialog.close());
  dialog.append(form);
  return { dialog, focus: () => by.control.focus() };
};

/**
 * "Release now…": a confirmation step saying exactly what will be done to the resource, with an
 * optional reason; nothing is released by one click.
 */
const releaseDialog = (requestId: string, view: ShownRequest, onReleasing: (words: string) => void) => {
  const dialog = dialogOf("release-title", "Release the resource now?");
  const reason = labelledField({
    id: "release-reason",
    label: "Reason",
    optional: true,
    hint: "Kept on the request's timeline.",
    control: h("textarea", { id: "release-reason", name: "reason", maxlength: REASON_MAX_LENGTH }),
  });
  const confirm = h(
    "button",
    { type: "button", class: "reject", "data-action": "confirm-release" },
    "Release now",
  );
  const keep = h("button", { type: "button", class: "secondary" }, "Keep it running");
  const message = h("p", { role: "status", "aria-live": "polite" });
  dialog.append(
    h("p", { class: "consequence" }, h("strong", {}, releaseConsequence(view))),
    reason.element,
    message,
    h("p", { class: "actions" }, confirm, keep),
  );
  keep.addEventListener("click", () => dialog.close());
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    reason.showError(undefined);
    message.className = "muted";
    message.textContent = "Releasing…";
    try {
      const text = reason.control.value.trim();
      const answer = await api.call(releaseNowRoute, {
        params: { id: requestId },
        body: text ? { reason: text } : {},
      });
      dialog.close();
      onReleasing(
        `Releasing: the resource is being ${END_ACTION_DONE_WORDS[answer.action]}; the page shows it once done.`,
      );
    } catch (error) {
      showReasonRefusal(error, reason, message);
    } finally {
      confirm.disabled = false;
    }
  });
  return { dialog, focus: () => keep.focus() };
};

/**
 * The lease's actions on a request's page: "Extend…" and "Release now…" for whom `leaseOfferTo`
 * offers them, each opening its dialog; what was asked stays said in the panel. It lives outside what
 * each refresh redraws, so an open dialog survives a refresh; `update` redraws the buttons only when
 * the offer changes. `open` opens an action's dialog (the reminder emails' links), or says why not.
 */
export const leaseActionsPanel = (requestId: string, user: SignedInUser) => {
  const panel = h("section", { class: "card lease-actions", "aria-label": "Lease actions", hidden: true });
  const buttons = h("p", { class: "actions" });
  const said = h("p", { role: "status", tabindex: -1 });
  panel.append(buttons, said);
  let view: ShownRequest | undefined;
  let offered: LeaseOffer = { extend: false, release: false };
  let dialogOpen = false;

  // An open dialog lives in the panel, so the panel stays while one is open, whatever a refresh says.
  const showPanel = () => {
    panel.hidden = !offered.extend && !offered.release && said.textContent === "" && !dialogOpen;
  };

  const say = (words: string) => {
    said.textContent = words;
    showPanel();
    said.focus();
  };

  const show = ({ dialog, focus }: { dialog: HTMLDialogElement; focus: () => void }) => {
    panel.append(dialog);
    dialogOpen = true;
    showPanel();
    dialog.addEventListener("close", () => {
      dialog.remove();
      dialogOpen = false;
      showPanel();
    });
    dialog.showModal();
    focus();
  };

  const open = (action: LeaseAction) => {
    if (!view || !offered[action]) {
      say(
        action === "extend"
          ? "This lease cannot be extended now: it is not running with an end, an extension is already waiting, or it is not yours."
          : "This resource cannot be released now: it is not running under a lease, or it is not yours.",
      );
      return;
    }
    show(action === "extend" ? extendDialog(requestId, view, say) : releaseDialog(requestId, view, say));
  };

  const update = (next: ShownRequest) => {
    view = next;
    const offer = leaseOfferTo(next, user);
    if (offer.extend === offered.extend && offer.release === offered.release) return;
    offered = offer;
    buttons.replaceChildren(
      ...(offer.extend
        ? [h("button", { type: "button", "data-action": "extend", onclick: () => open("extend") }, "Extend…")]
        : []),
      ...(offer.release
        ? [
            h(
              "button",
              { type: "button", class: "reject", "data-action": "release", onclick: () => open("release") },
              "Release now…",
            ),
          ]
        : []),
    );
    showPanel();
  };

  return { element: panel, update, open };
};
