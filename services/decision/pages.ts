import { LINK_DECISION_PAGE, linkFragmentOf } from "../../api/approvals.ts";
import { leaseTermsInWords } from "../../api/request-words.ts";
import type { LeaseTerms } from "../../events/lease.ts";
import type { AcceptedRequest } from "../../events/request.ts";
import { REASON_MAX_LENGTH } from "../../events/request.ts";
import { DECISION_PATHS, type DecisionAction } from "../shared/decision-token.ts";
import { html, type SafeHtml } from "../shared/html.ts";
import { renderSummary, themedDocument } from "../shared/layout.ts";
import { formatUtc, renderTime, requestSummaryRows, resourceLabel } from "../shared/request-summary.ts";
import type { ExtensionRef } from "./domain.ts";

const ACTION_WORDING: Record<DecisionAction, { verb: string; button: string; buttonClass: string }> = {
  approve: { verb: "Approve", button: "Approve request", buttonClass: "" },
  reject: { verb: "Reject", button: "Reject request", buttonClass: "reject" },
};

export interface ConfirmationPageInput {
  action: DecisionAction;
  token: string;
  requestId: string;
  /** Absent while the request's ApprovalRequested is on its way: the page shows what the link says. */
  request?: AcceptedRequest;
  approver: string;
  expiresAt: string;
  /** What the approver typed, shown again with `reasonError` when it was refused. */
  reason?: string;
  reasonError?: string;
  /** The extension of the request's lease the link decides, when it is one of an extension's round. */
  extension?: ExtensionRef;
  /** The lease the policy settled, which approving the request grants; absent on approvals from before leases. */
  lease?: LeaseTerms;
}

/** What an extension's round decides, in one sentence. */
export const extensionInWords = (
  request: AcceptedRequest,
  { from, until, justification }: ExtensionRef,
): string =>
  `Extend the lease of ${resourceLabel(request)} from ${formatUtc(from)} to ${formatUtc(until)}: ${justification}`;

/** What a link opens: the request and one button. Showing it changes nothing. */
export const confirmationPage = ({
  action,
  token,
  requestId,
  request,
  approver,
  expiresAt,
  reason,
  reasonError,
  extension,
  lease,
}: ConfirmationPageInput): SafeHtml => {
  const wording = ACTION_WORDING[action];
  const reasonRequired = action === "reject";
  const describedBy = reasonError ? "reason-hint reason-error" : "reason-hint";
  const subject = extension ? "extension" : "request";
  return themedDocument(
    `${wording.verb} ${extension ? "the extension of " : ""}request ${requestId}?`,
    html`<h1>${wording.verb} this ${subject}?</h1>
${extension && request ? html`<p class="extension">${extensionInWords(request, extension)}</p>` : ""}
${!extension && lease ? html`<p class="lease">The resource is kept ${leaseTermsInWords(lease)}.</p>` : ""}
<p>You are deciding as <strong>${approver}</strong>. The link works until ${renderTime(expiresAt)}.</p>
<section class="card" aria-labelledby="summary-heading">
<h2 id="summary-heading">The request</h2>
${request ? renderSummary(requestSummaryRows(request)) : html`<p>Request <strong>${requestId}</strong>; the approval email shows its details.</p>`}
</section>
<form class="card" method="post" action="${DECISION_PATHS[action]}">
<input type="hidden" name="token" value="${token}">
<label for="reason">Reason${reasonRequired ? "" : " (optional)"}</label>
<p id="reason-hint" class="muted">${reasonRequired ? "The requester will read it." : "Shown to the requester with your approval."}</p>
<textarea id="reason" name="reason" maxlength="${REASON_MAX_LENGTH}" aria-describedby="${describedBy}"${
      reasonRequired ? html` required` : ""
    }${reasonError ? html` aria-invalid="true"` : ""}>${reason ?? ""}</textarea>
${reasonError ? html`<p id="reason-error" class="error" role="alert">${reasonError}</p>` : ""}
<p><button type="submit" name="confirm" value="${action}" class="${wording.buttonClass}">${
      extension ? `${wording.verb} extension` : wording.button
    }</button></p>
</form>`,
  );
};

export interface MessagePageInput {
  title: string;
  message: string;
  /** The outcome as a badge, after a decision. */
  badge?: { text: string; tone: "ok" | "bad" };
  request?: AcceptedRequest;
}

/** The answer after a decision, or why a link cannot decide. */
export const messagePage = ({ title, message, badge, request }: MessagePageInput): SafeHtml =>
  themedDocument(
    title,
    html`${badge ? html`<p><span class="badge ${badge.tone}">${badge.text}</span></p>` : ""}
<h1>${title}</h1>
<p>${message}</p>
${request ? html`<section class="card" aria-label="The request">${renderSummary(requestSummaryRows(request))}</section>` : ""}`,
  );

export interface SignInPageInput {
  requestId: string;
  approver: string;
  action: DecisionAction;
  token: string;
}

/**
 * What a link opens where decisions need sign-in: no form, only the way to the portal's confirmation,
 * with the token in the fragment so that page's own loading sends it to no server.
 */
export const signInPage = ({ requestId, approver, action, token }: SignInPageInput): SafeHtml =>
  themedDocument(
    `${ACTION_WORDING[action].verb} request ${requestId}?`,
    html`<h1>Sign in to decide</h1>
<p>Request <strong>${requestId}</strong> is decided in the approvals portal, signed in as the approver this link was sent to.</p>
<p><a class="button" href="${LINK_DECISION_PAGE}#${linkFragmentOf({ action, token })}">Sign in as ${approver} to decide</a></p>`,
  );
