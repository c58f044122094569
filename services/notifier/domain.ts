import type { SUPPRESSION_REASONS } from "../../events/email-suppressed.ts";
import type { Envelope } from "../../events/envelope.ts";
import {
  REQUEST_ID_TAG,
  type SesEmailBounced,
  type SesEmailComplaintReceived,
} from "../../events/ses-feedback.ts";
import { canonicalEmail } from "../shared/canonical-email.ts";
import { html, type SafeHtml } from "../shared/html.ts";
import { renderSummary, summaryAsText, themedDocument } from "../shared/layout.ts";
import {
  type NewsMessage,
  type NoticeSettings,
  type NotifiableEvent,
  operatorNewsOf,
  type ReleaseFailedEvent,
  requesterEmailOf,
  requesterNewsOf,
} from "../shared/request-news.ts";

/** The requester's news as an email: `services/shared/request-news.ts` says what, this renders it. */

export interface Notice {
  requestId: string;
  /** Absent when the event names nobody to tell (an invalid request without a usable email). */
  to?: string;
  subject: string;
  text: string;
  html: SafeHtml;
}

const FOOTER = "You get this email because you asked for this resource.";

const OPERATOR_FOOTER = "You get this email because you are an operator of the resource approvals.";

/** An email's message: the news, and why the reader gets it. */
type Message = NewsMessage & { footer: string };

const renderText = ({ heading, lead, facts, actions, requestId, footer }: Message): string =>
  [
    heading,
    "",
    lead,
    "",
    summaryAsText(facts),
    ...(actions ? ["", ...actions.links.map(({ label, href }) => `${label}: ${href}`), actions.note] : []),
    "",
    "--",
    `Request ${requestId}. ${footer}`,
    "",
  ].join("\n");

const renderHtml = ({
  subject,
  status,
  heading,
  lead,
  facts,
  actions,
  requestId,
  footer,
}: Message): SafeHtml =>
  themedDocument(
    subject,
    html`<div class="card">
<p><span class="badge ${status.tone}">${status.label}</span></p>
<h1>${heading}</h1>
<p>${lead}</p>
${renderSummary(facts)}
${
  actions &&
  html`<p>${actions.links.map(({ label, href }) => html`<a class="button" href="${href}" target="_blank" rel="noopener noreferrer">${label}</a> `)}</p>
<p class="muted">${actions.note}</p>`
}
</div>
<p class="muted">Request ${requestId}. ${footer}</p>`,
  );

const noticeTo = (to: string | undefined, message: Message): Notice => ({
  requestId: message.requestId,
  to,
  subject: message.subject,
  text: renderText(message),
  html: renderHtml(message),
});

/**
 * Who to tell about the event, and the email that tells them; undefined when the event is nothing to
 * tell (an approved extension, told by its LeaseExtended; one closed by the release, told by its ResourceReleased).
 */
export const noticeOf = (event: NotifiableEvent, settings: NoticeSettings): Notice | undefined => {
  const message = requesterNewsOf(event, settings);
  return message && noticeTo(requesterEmailOf(event), { ...message, footer: FOOTER });
};

/** The operators' email of a failed release. */
export const operatorNoticeOf = (event: ReleaseFailedEvent, operator: string): Notice =>
  noticeTo(operator, { ...operatorNewsOf(event), footer: OPERATOR_FOOTER });

export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/** An address the notifier no longer mails, and the email whose feedback suppressed it. */
export interface Suppression {
  /** Canonical (services/shared/canonical-email.ts), as every lookup is. */
  email: string;
  reason: SuppressionReason;
  reportedAt: string;
  messageId: string;
  /** The request the email was about, from its message tag; absent on an untagged email. */
  requestId?: string;
}

export type SesFeedbackEvent = Envelope<typeof SesEmailBounced> | Envelope<typeof SesEmailComplaintReceived>;

/**
 * The addresses SES's feedback suppresses: each recipient of a complaint, and of a permanent bounce
 * only, since a transient one (a full mailbox, a server down) may deliver the next email.
 */
export const suppressionsOf = ({ detail }: SesFeedbackEvent): Suppression[] => {
  const email = {
    messageId: detail.mail.messageId,
    requestId: detail.mail.tags?.[REQUEST_ID_TAG]?.[0],
  };
  if (detail.eventType === "Complaint")
    return detail.complaint.complainedRecipients.map(({ emailAddress }) => ({
      ...email,
      email: canonicalEmail(emailAddress),
      reason: "COMPLAINT",
      reportedAt: detail.complaint.timestamp,
    }));
  if (detail.bounce.bounceType !== "Permanent") return [];
  return detail.bounce.bouncedRecipients.map(({ emailAddress }) => ({
    ...email,
    email: canonicalEmail(emailAddress),
    reason: "BOUNCE",
    reportedAt: detail.bounce.timestamp,
  }));
};
