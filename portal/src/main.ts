import { healthRoute } from "../../api/contract.ts";
import { THEME_CSS } from "../../services/shared/theme.ts";
import { api, type ShownRequest } from "./api.ts";
import { renderNewRequest } from "./pages/new-request.ts";
import { renderRequest } from "./pages/request.ts";
import { renderRequestList } from "./pages/request-list.ts";
import { PORTAL_CSS } from "./style.ts";

const style = document.createElement("style");
style.textContent = THEME_CSS + PORTAL_CSS;
document.head.append(style);

const main = document.getElementById("main") as HTMLElement;
let leavePage = new AbortController();

const render = () => {
  leavePage.abort();
  leavePage = new AbortController();
  const path = window.location.pathname;
  for (const link of document.querySelectorAll<HTMLAnchorElement>("a[data-nav]")) {
    if (link.getAttribute("href") === path) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const requestPage = /^\/requests\/([^/]+)$/.exec(path);
  if (requestPage?.[1]) {
    document.title = "Request · Resource approvals";
    // Request ids need no decoding ([A-Za-z0-9_-]); anything else is refused by the API as it stands.
    renderRequest(main, requestPage[1], leavePage.signal, submittedFromHistory());
  } else if (path === "/my") {
    document.title = "My requests · Resource approvals";
    renderRequestList(main, { title: "My requests", mine: true });
  } else if (path === "/all") {
    document.title = "All requests · Resource approvals";
    renderRequestList(main, { title: "All requests", mine: false });
  } else {
    document.title = "New request · Resource approvals";
    renderNewRequest(main, navigate);
  }
};

/** What the form just submitted travels with the navigation, so its page can show it at once. */
function submittedFromHistory(): ShownRequest | undefined {
  const state = window.history.state as { submitted?: ShownRequest } | null;
  return state?.submitted;
}

function navigate(path: string, state: { submitted?: ShownRequest } = {}) {
  window.history.pushState(state, "", path);
  render();
  main.focus();
}

document.addEventListener("click", (event) => {
  const link = (event.target as Element).closest?.("a[data-nav]");
  if (!(link instanceof HTMLAnchorElement) || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(link.getAttribute("href") ?? "/");
});
window.addEventListener("popstate", render);
render();

// Local mode names its mailbox so a newcomer can play the approver; on AWS there is none.
api
  .call(healthRoute, {})
  .then((health) => {
    if (!health.mailbox) return;
    const link = document.getElementById("mailbox-link") as HTMLAnchorElement;
    link.href = health.mailbox;
    link.hidden = false;
  })
  .catch(() => undefined);
