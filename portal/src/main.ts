// First: it configures zod before the modules below build their schemas.
import "./zod-jitless.ts";
import { healthRoute } from "../../api/contract.ts";
import { api, type ShownRequest, useSession } from "./api.ts";
import { h } from "./dom.ts";
import { offersLinkTo, pageOf } from "./routes.ts";
import { type Session, startSession } from "./sign-in.ts";
import { PORTAL_STYLESHEET } from "./style.ts";

const style = document.createElement("style");
style.textContent = PORTAL_STYLESHEET;
document.head.append(style);

const main = document.getElementById("main") as HTMLElement;

/** The signed-in user and a way out, in the header of every page. */
const showAccount = (session: Session) => {
  const account = document.getElementById("account") as HTMLElement;
  account.replaceChildren(
    h(
      "p",
      { class: "who" },
      h("span", { id: "account-name" }, session.user.name),
      " ",
      h("span", { id: "account-email" }, session.user.email),
    ),
    h("button", { type: "button", class: "secondary", onclick: () => void session.signOut() }, "Sign out"),
  );
  account.hidden = false;
};

const showSignInFailure = (error: unknown) => {
  document.title = "Sign-in failed · Resource approvals";
  main.replaceChildren(
    h("h1", {}, "Signing in did not finish"),
    h("p", { role: "alert" }, error instanceof Error ? error.message : String(error)),
    // A whole page load, so signing in starts afresh.
    h("p", {}, h("a", { href: "/", class: "button" }, "Sign in")),
  );
};

const startPortal = (session: Session) => {
  // The page behind a hidden link still opens, and says who it is for.
  for (const link of document.querySelectorAll<HTMLAnchorElement>("a[data-nav]")) {
    link.hidden = !offersLinkTo(link.getAttribute("href") ?? "/", session.user);
  }
  let leavePage = new AbortController();
  const render = () => {
    leavePage.abort();
    leavePage = new AbortController();
    const path = window.location.pathname;
    for (const link of document.querySelectorAll<HTMLAnchorElement>("a[data-nav]")) {
      if (link.getAttribute("href") === path) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    const { page, params } = pageOf(path);
    document.title = `${page.title} · Resource approvals`;
    page.render(main, {
      params,
      user: session.user,
      signal: leavePage.signal,
      navigate,
    });
  };

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
};

// Local mode names its mailbox so a newcomer can play the approver; on AWS there is none.
const showMailboxLink = () =>
  api
    .call(healthRoute, {})
    .then((health) => {
      if (!health.mailbox) return;
      const link = document.getElementById("mailbox-link") as HTMLAnchorElement;
      link.href = health.mailbox;
      link.hidden = false;
    })
    .catch(() => undefined);

main.replaceChildren(h("p", { class: "muted" }, "Signing in…"));
startSession().then((session) => {
  useSession(session);
  showAccount(session);
  startPortal(session);
  void showMailboxLink();
}, showSignInFailure);
