import { leaseTermsInWords } from "../../api/request-words.ts";
import type { ExtensionRef, LeaseTerms } from "../../events/lease.ts";
import type { AcceptedRequest } from "../../events/request.ts";
import type { SummaryRow } from "./layout.ts";
import { formatUtc, requesterLabel, resourceLabel } from "./request-summary.ts";

/**
 * What an approval asks and how it ended, as the approvers' email, Slack and Teams all say it: an
 * approval is of the request (and the lease the policy settled), or of an extension round of its lease.
 */

export interface ApprovalAsked {
  request: AcceptedRequest;
  lease?: LeaseTerms | undefined;
  extension?: ExtensionRef | undefined;
}

/** "Ana <ana@example.com> asks for an EC2 instance … for 8 hours.", or the extension asked. */
export const approvalAskInWords = ({ request, lease, extension }: ApprovalAsked): string =>
  extension
    ? `${requesterLabel(request)} asks to extend the lease of ${resourceLabel(request)} from ${formatUtc(extension.from)} to ${formatUtc(extension.until)}.`
    : `${requesterLabel(request)} asks for ${resourceLabel(request)}${lease ? ` ${leaseTermsInWords(lease)}` : ""}.`;

/** How the approval ended, in a sentence, given the outcome's words ("was approved by Ana"). */
export const approvalEndInWords = (
  { request, extension }: Omit<ApprovalAsked, "lease">,
  outcome: string,
): string => {
  const what = `${resourceLabel(request)} for ${requesterLabel(request)}`;
  return extension
    ? `The extension of the lease of request ${request.requestId} (${what}) to ${formatUtc(extension.until)} ${outcome}.`
    : `Request ${request.requestId} (${what}) ${outcome}.`;
};

/** What an extension round asks, first among the facts: the end now, the end asked for, and why. */
export const extensionRows = ({ from, until, justification }: ExtensionRef): SummaryRow[] => [
  { label: "Lease ends now", value: formatUtc(from) },
  { label: "Extend until", value: formatUtc(until) },
  { label: "Why extend", value: justification },
];
