import { ApiError } from "../../api/client.ts";
import type { Field } from "./field.ts";

/**
 * Shows why the API refused an action that takes a reason: a problem with the reason beside its
 * field (focused, to be fixed), anything else as an alert in `message`.
 */
export const showReasonRefusal = (error: unknown, reason: Field, message: HTMLElement): void => {
  const reasonError =
    error instanceof ApiError ? error.fieldErrors.find(({ field }) => field === "reason") : undefined;
  if (reasonError) {
    message.textContent = "";
    reason.showError(reasonError.message);
    reason.control.focus();
  } else {
    message.className = "error";
    message.setAttribute("role", "alert");
    message.textContent = error instanceof Error ? error.message : String(error);
  }
};
