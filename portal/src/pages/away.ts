import { groupsAdmittedTo } from "../../../api/access.ts";
import { ApiError } from "../../../api/client.ts";
import {
  clearMyDelegationsRoute,
  getMyDelegationsRoute,
  type MyDelegations,
  setMyDelegationRoute,
} from "../../../api/delegations.ts";
import { admits, api } from "../api.ts";
import { h } from "../dom.ts";
import { type Field, labelledField } from "../field.ts";
import { humanTime } from "../format.ts";
import type { SignedInUser } from "../sign-in.ts";

/** A `datetime-local` input's value (local time, to the minute) as the ISO timestamp the API takes. */
const isoOfLocalInput = (value: string): string | undefined => {
  const time = new Date(value);
  return value === "" || Number.isNaN(time.getTime()) ? undefined : time.toISOString();
};

const windowsList = ({ windows }: MyDelegations) =>
  windows.length === 0
    ? h("p", { class: "muted" }, "You are not away: requests ask you.")
    : h(
        "ul",
        {},
        ...windows.map(({ from, to, delegate }) =>
          h("li", {}, `Away from ${humanTime(from)} to ${humanTime(to)}: ${delegate} decides for you.`),
        ),
      );

/**
 * The Away page: the times the signed-in approver is away and who decides for them meanwhile, a form
 * to set another, and a button to clear them all. A refused field shows at that field, as the API names it.
 */
export const renderAway = (main: HTMLElement, user: SignedInUser) => {
  const current = h("div", { "aria-live": "polite" }, h("p", { class: "muted" }, "Loading…"));
  main.replaceChildren(h("h1", {}, "Away"), current);
  if (!admits(getMyDelegationsRoute, user)) {
    const groups = groupsAdmittedTo(getMyDelegationsRoute) ?? [];
    current.replaceChildren(h("p", {}, `Only ${groups.join(" or ")} delegate their decisions.`));
    return;
  }
  const show = (delegations: MyDelegations) => current.replaceChildren(windowsList(delegations));
  const fields: Record<"from" | "to" | "delegate", Field> = {
    from: labelledField({
      id: "away-from",
      label: "Away from",
      control: h("input", { id: "away-from", name: "from", type: "datetime-local" }),
      required: true,
    }),
    to: labelledField({
      id: "away-to",
      label: "Back on",
      control: h("input", { id: "away-to", name: "to", type: "datetime-local" }),
      required: true,
    }),
    delegate: labelledField({
      id: "away-delegate",
      label: "Delegate",
      hint: "Their email. They are asked in your place, on your behalf; never about their own requests.",
      control: h("input", { id: "away-delegate", name: "delegate", type: "email" }),
      required: true,
    }),
  };
  const message = h("p", { role: "status", "aria-live": "polite" });
  const save = h("button", { type: "submit" }, "Set");
  const clear = h("button", { type: "button", class: "reject" }, "Clear all");
  const form = h(
    "form",
    { class: "card", "aria-label": "Set a time you are away", novalidate: true },
    fields.from.element,
    fields.to.element,
    fields.delegate.element,
    h("p", { class: "actions" }, save, " ", clear),
    message,
  );
  main.append(form);

  const showRefusal = (error: unknown) => {
    const named = error instanceof ApiError ? error.fieldErrors : [];
    for (const [name, field] of Object.entries(fields))
      field.showError(named.find((refused) => refused.field === name)?.message);
    const first = named.map(({ field }) => fields[field as keyof typeof fields]).find(Boolean);
    if (first) {
      message.textContent = "";
      first.control.focus();
      return;
    }
    message.className = "error";
    message.setAttribute("role", "alert");
    message.textContent = error instanceof Error ? error.message : String(error);
  };
  const run = async (change: () => Promise<MyDelegations>) => {
    for (const field of Object.values(fields)) field.showError(undefined);
    message.className = "muted";
    message.setAttribute("role", "status");
    message.textContent = "Saving…";
    save.disabled = clear.disabled = true;
    try {
      show(await change());
      message.textContent = "Saved.";
    } catch (error) {
      showRefusal(error);
    } finally {
      save.disabled = clear.disabled = false;
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {
      from: isoOfLocalInput(fields.from.control.value) ?? "",
      to: isoOfLocalInput(fields.to.control.value) ?? "",
      delegate: fields.delegate.control.value.trim(),
    };
    void run(() => api.call(setMyDelegationRoute, { body }));
  });
  clear.addEventListener("click", () => void run(() => api.call(clearMyDelegationsRoute, {})));

  api
    .call(getMyDelegationsRoute, {})
    .then(show, (error: unknown) =>
      current.replaceChildren(
        h(
          "p",
          { role: "alert" },
          `Could not load your delegations: ${error instanceof Error ? error.message : String(error)}`,
        ),
      ),
    );
};
