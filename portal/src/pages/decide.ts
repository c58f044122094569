import {
  decideWithLinkRoute,
  LINK_DECISION_PAGE,
  linkTokenOfFragment,
  previewLinkDecisionRoute,
} from "../../../api/approvals.ts";
import { api } from "../api.ts";
import { h } from "../dom.ts";
import { humanTime } from "../format.ts";
import type { SignedInUser } from "../sign-in.ts";
import { decisionForm, extensionAsked } from "./approvals.ts";
import { summaryOf } from "./request.ts";

const VERB = { approve: "Approve", reject: "Reject" } as const;

/**
 * Where an emailed link opens when decisions require sign-in: `/decide#<action>.<token>`. The token
 * is in the fragment, which the browser sends to no server; this page reads it, asks the API (in a
 * POST body) what the link decides, and lets only the approver it was sent to confirm. Once decided,
 * the token leaves the address bar.
 */
export const renderDecide = (main: HTMLElement, user: SignedInUser) => {
  const link = linkTokenOfFragment(window.location.hash);
  const live = h("div", { "aria-live": "polite" }, h("p", { class: "muted" }, "Checking the link…"));
  main.replaceChildren(h("h1", {}, link ? `${VERB[link.action]} this request?` : "Decide a request"), live);
  if (!link) {
    live.replaceChildren(
      h("p", { role: "alert" }, "This link is incomplete. Open the link from the approval email again."),
    );
    return;
  }
  api.call(previewLinkDecisionRoute, { body: link }).then(
    (preview) =>
      live.replaceChildren(
        h("p", {}, "You are deciding as ", h("strong", {}, preview.approver), "."),
        h(
          "section",
          { class: "card", "aria-label": "The request" },
          preview.extension ? extensionAsked(preview.extension) : null,
          preview.request
            ? summaryOf(preview.request)
            : h("p", {}, `Request ${preview.requestId}; the approval email shows its details.`),
        ),
        h("p", { class: "muted" }, `The link works until ${humanTime(preview.expiresAt)}.`),
        decisionForm(
          "decide-link",
          [link.action],
          async (_action, reason) => {
            const outcome = await api.call(decideWithLinkRoute, { body: { ...link, reason } });
            window.history.replaceState(null, "", LINK_DECISION_PAGE);
            return outcome;
          },
          preview.extension ? "extension" : "request",
        ),
      ),
    (error: unknown) =>
      live.replaceChildren(
        h("p", { role: "alert" }, error instanceof Error ? error.message : String(error)),
        h("p", { class: "muted" }, `You are signed in as ${user.email}.`),
      ),
  );
};
