import { html, SafeHtml } from "../../../services/shared/html.ts";
import { themedDocument } from "../../../services/shared/layout.ts";
import type { LocalUser } from "./users.ts";

export interface SignInPageInput {
  interactionUid: string;
  users: readonly LocalUser[];
  /** Shown when a submitted form named no local user. */
  error?: string;
}

/** Local mode's sign-in: no passwords, one button per local user; Cancel ends the sign-in. */
export const signInPage = ({ interactionUid, users, error }: SignInPageInput): SafeHtml => {
  const base = `/interaction/${encodeURIComponent(interactionUid)}`;
  return themedDocument(
    "Sign in",
    html`<h1>Sign in</h1>
<p class="muted">Local mode has no passwords: choose who to be. The users come from <code>LOCAL_USERS</code>.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ""}
${users.map(
  (user) => html`<section class="card">
<form method="post" action="${base}/login">
<input type="hidden" name="email" value="${user.email}">
<p><strong>${user.name}</strong><br><span class="muted">${user.email} · ${user.groups.join(", ") || "no groups"}</span></p>
<button type="submit" aria-label="Sign in as ${user.name}">Sign in</button>
</form>
</section>`,
)}
<form method="post" action="${base}/abort"><button type="submit" class="reject">Cancel</button></form>`,
  );
};

/** A page that only says what happened: an expired sign-in, a provider error, a finished sign-out. */
export const messagePage = (title: string, message: string): SafeHtml =>
  themedDocument(title, html`<h1>${title}</h1><section class="card"><p>${message}</p></section>`);

/**
 * The end-session confirmation. `providerForm` is oidc-provider's own hidden form (with its CSRF
 * token), markup it made, so it goes in as is; the buttons submit it.
 */
export const signOutPage = (providerForm: string): SafeHtml =>
  themedDocument(
    "Sign out",
    html`<h1>Sign out?</h1>
${new SafeHtml(providerForm)}
<section class="card">
<p>You will be signed out of local mode's sign-in.</p>
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button type="submit" form="op.logoutForm" class="reject">Stay signed in</button>
</section>`,
  );
