import type { ExtensionRef, LeaseTerms } from "../../events/lease.ts";
import type { AcceptedRequest } from "../../events/request.ts";
import { approvalAskInWords, approvalEndInWords, extensionRows } from "../shared/approval-words.ts";
import { type DecisionAction, decisionLink } from "../shared/decision-token.ts";
import { html } from "../shared/html.ts";
import { renderSummary, summaryAsText, themedDocument } from "../shared/layout.ts";
import type { OutgoingEmail } from "../shared/mail.ts";
import { formatUtc, requestSummaryRows, resourceLabel } from "../shared/request-summary.ts";

export interface ApprovalEmailInput {
  request: AcceptedRequest;
  approver: string;
  /** The stage asking, in words ("Stage 1 of 2: team leads — 2 approvals needed"). */
  stage: string;
  /** The approver asked as this person's delegate. */
  onBehalfOf?: string | undefined;
  expiresAt: Date;
  publicUrl: string;
  tokens: Record<DecisionAction, string>;
  /** The links then open the portal, where only this approver, signed in, can decide with them. */
  signInRequired: boolean;
  /** Why the approver is mailed after the stage's own mail: a reminder, or the stage's escalation. */
  occasion?: EmailOccasion;
  /** The lease the approvers approve, as the policy settled it (absent on approvals from before leases). */
  lease?: LeaseTerms | undefined;
  /** The extension of the lease asked, when the approval is of an extension round rather than the request. */
  extension?: ExtensionRef | undefined;
}

export type EmailOccasion = { kind: "reminder"; n: number; max: number } | { kind: "escalation" };

const occasionNote = (occasion: EmailOccasion | undefined, asked: "request" | "extension"): string =>
  occasion?.kind === "reminder"
    ? ` This is reminder ${occasion.n} of ${occasion.max}: the ${asked} still waits for your answer, and these links are new.`
    : occasion?.kind === "escalation"
      ? " You are asked as escalation: the stage's approvers did not complete it in time."
      : "";

/**
 * One approver's email: the request (and how long it is approved for), or the extension of its lease
 * asked, the stage asking, its deadline, and that approver's own Approve and Reject links.
 */
export const approvalEmail = ({
  request,
  approver,
  stage,
  onBehalfOf,
  expiresAt,
  publicUrl,
  tokens,
  signInRequired,
  occasion,
  lease,
  extension,
}: ApprovalEmailInput): OutgoingEmail => {
  const rows = [...(extension ? extensionRows(extension) : []), ...requestSummaryRows(request)];
  const approveUrl = decisionLink(publicUrl, "approve", tokens.approve, { signInRequired });
  const rejectUrl = decisionLink(publicUrl, "reject", tokens.reject, { signInRequired });
  const deadline = formatUtc(expiresAt);
  const asked = onBehalfOf
    ? `You are asked on behalf of ${onBehalfOf}, as their delegate.`
    : "You are one of its approvers.";
  const asking = `${approvalAskInWords({ request, lease, extension })} ${asked}${occasionNote(occasion, extension ? "extension" : "request")}`;
  const needed = extension ? "Extension approval needed" : "Approval needed";
  const what = extension
    ? `lease of ${resourceLabel(request)} for ${request.requester.name ?? request.requester.email} until ${formatUtc(extension.until)}`
    : `${resourceLabel(request)} for ${request.requester.name ?? request.requester.email}`;
  const opens = signInRequired
    ? `Each link opens the approvals portal, where you sign in as ${approver} and confirm`
    : "Each link opens a confirmation page";
  const linkNote = `${opens}; nothing is decided until you press its button. The links are yours alone: do not forward this email.`;
  return {
    to: approver,
    subject: `${occasion?.kind === "reminder" ? "Reminder: " : ""}${needed}: ${what} (request ${request.requestId})`,
    text: [
      asking,
      stage,
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
      `${needed}: request ${request.requestId}`,
      html`<h1>${needed}</h1>
<p>${asking}</p>
<p><strong>${stage}</strong></p>
<div class="card">${renderSummary(rows)}</div>
<p>Decide before <strong>${deadline}</strong>.</p>
<p><a class="button" href="${approveUrl}" target="_blank" rel="noopener noreferrer">Approve</a> <a class="button reject" href="${rejectUrl}" target="_blank" rel="noopener noreferrer">Reject</a></p>
<p class="muted">${linkNote}</p>`,
    ),
  };
};

export interface ClosureEmailInput {
  request: AcceptedRequest;
  approver: string;
  /** What happened, short, for the subject: "was approved", "was rejected", "expired". */
  ended: string;
  /** What happened and by whom: "was approved by A and B", "expired without a decision". */
  outcome: string;
  /** The extension of the lease whose round ended, when it was one rather than the request's approval. */
  extension?: ExtensionRef | undefined;
}

/**
 * The one short email an approver still asked gets when the request, or an extension of its lease,
 * ends without their vote.
 */
export const closureEmail = ({
  request,
  approver,
  ended,
  outcome,
  extension,
}: ClosureEmailInput): OutgoingEmail => {
  const happened = approvalEndInWords({ request, extension }, outcome);
  const nothingToDo = "Nothing for you to do; your links no longer work.";
  return {
    to: approver,
    subject: `${extension ? "The extension of request" : "Request"} ${request.requestId} ${ended}: nothing for you to do`,
    text: [happened, nothingToDo].join("\n"),
    html: themedDocument(
      `Request ${request.requestId}: nothing for you to do`,
      html`<p>${happened}</p>
<p>${nothingToDo}</p>`,
    ),
  };
};
