import type { AcceptedRequest } from "../../events/request.ts";
import { type DecisionAction, decisionLink } from "../shared/decision-token.ts";
import { html } from "../shared/html.ts";
import { renderSummary, summaryAsText, themedDocument } from "../shared/layout.ts";
import type { OutgoingEmail } from "../shared/mail.ts";
import { formatUtc, requesterLabel, requestSummaryRows, resourceLabel } from "../shared/request-summary.ts";

export interface ApprovalEmailInput {
  request: AcceptedRequest;
  approver: string;
  expiresAt: Date;
  publicUrl: string;
  tokens: Record<DecisionAction, string>;
  /** The links then open the portal, where only this approver, signed in, can decide with them. */
  signInRequired: boolean;
}

/** One approver's email: the request, its deadline, and that approver's own Approve and Reject links. */
export const approvalEmail = ({
  request,
  approver,
  expiresAt,
  publicUrl,
  tokens,
  signInRequired,
}: ApprovalEmailInput): OutgoingEmail => {
  const rows = requestSummaryRows(request);
  const approveUrl = decisionLink(publicUrl, "approve", tokens.approve, { signInRequired });
  const rejectUrl = decisionLink(publicUrl, "reject", tokens.reject, { signInRequired });
  const deadline = formatUtc(expiresAt);
  const asking = `${requesterLabel(request)} asks for ${resourceLabel(request)}. You are one of its approvers.`;
  const opens = signInRequired
    ? `Each link opens the approvals portal, where you sign in as ${approver} and confirm`
    : "Each link opens a confirmation page";
  const linkNote = `${opens}; nothing is decided until you press its button. The links are yours alone: do not forward this email.`;
  return {
    to: approver,
    subject: `Approval needed: ${resourceLabel(request)} for ${request.requester.name ?? request.requester.email} (request ${request.requestId})`,
    text: [
      asking,
      "",
      summaryAsText(rows),
      "",
      `Decide before ${deadline}:`,
      `Approve: ${approveUrl}`,
      `Reject: ${rejectUrl}`,
      "",
      linkNote,
    ].join("\n"),
    html: themedDocument(
      `Approval needed: request ${request.requestId}`,
      html`<h1>Approval needed</h1>
<p>${asking}</p>
<div class="card">${renderSummary(rows)}</div>
<p>Decide before <strong>${deadline}</strong>.</p>
<p><a class="button" href="${approveUrl}" target="_blank" rel="noopener noreferrer">Approve</a> <a class="button reject" href="${rejectUrl}" target="_blank" rel="noopener noreferrer">Reject</a></p>
<p class="muted">${linkNote}</p>`,
    ),
  };
};
