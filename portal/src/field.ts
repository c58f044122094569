import { h } from "./dom.ts";

export type FieldControl = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export interface FieldSpec {
  /** The control's id; its hint and its error are `<id>-hint` and `<id>-error`. */
  id: string;
  label: string;
  control: FieldControl;
  hint?: string;
  /** Says "(optional)" in the label. */
  optional?: boolean;
  /** Tells assistive technology the field must be filled (the form checks it, not the browser). */
  required?: boolean;
}

export interface Field {
  /** The label, the control, its hint and the slot of its error, in that order. */
  element: HTMLElement;
  control: FieldControl;
  /**
   * Shows `message` under the control and marks it invalid; undefined clears both. With `keepSpace`, a
   * cleared line keeps its height until the next call: what is below it stays put, so a button does
   * not move from under a pointer on its way to it (the change that clears it fires as the field loses
   * focus, between the press of the button and its release).
   */
  showError: (message: string | undefined, options?: { keepSpace?: boolean }) => void;
}

/**
 * A labelled control whose error is shown inline: the control is described by its hint and its error,
 * so a screen reader reads the error once the form moves focus to the control.
 */
export const labelledField = ({ id, label, control, hint, optional, required }: FieldSpec): Field => {
  const hintId = `${id}-hint`;
  const errorSlot = h("p", { class: "error", id: `${id}-error`, "aria-live": "polite" });
  control.setAttribute(
    "aria-describedby",
    [hint ? hintId : undefined, errorSlot.id].filter(Boolean).join(" "),
  );
  if (required) control.setAttribute("aria-required", "true");
  const element = h(
    "div",
    { class: "field" },
    h("label", { for: id }, label, optional ? h("span", { class: "muted" }, " (optional)") : null),
    control,
    hint ? h("p", { class: "muted hint", id: hintId }, hint) : null,
    errorSlot,
  );
  return {
    element,
    control,
    showError: (message, { keepSpace = false } = {}) => {
      errorSlot.style.minHeight = keepSpace && !message ? `${errorSlot.offsetHeight}px` : "";
      errorSlot.textContent = message ?? "";
      control.setAttribute("aria-invalid", message ? "true" : "false");
    },
  };
};
