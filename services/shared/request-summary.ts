import { costEstimateInWords, resourceDetailRows, resourceInWords } from "../../api/request-words.ts";
import type { AcceptedRequest } from "../../events/request.ts";
import { html, type SafeHtml } from "./html.ts";
import type { SummaryRow } from "./layout.ts";

/**
 * The request and its times as people read them: the approval email, the decision pages and the
 * requester's emails all say it the same way.
 */

const UTC_FORMAT = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  weekday: "short",
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

/** e.g. "Tue, 1 Dec 2026, 14:05 UTC": readable wherever the reader is. */
export const formatUtc = (moment: Date | string): string => `${UTC_FORMAT.format(new Date(moment))} UTC`;

export const requesterLabel = (request: AcceptedRequest): string =>
  request.requester.name ? `${request.requester.name} <${request.requester.email}>` : request.requester.email;

export const resourceLabel = (request: AcceptedRequest): string => resourceInWords(request.resource);

/** The request's details, one row each, leaving out what it does not ask for. */
export const requestSummaryRows = (request: AcceptedRequest): SummaryRow[] => {
  const cost = costEstimateInWords(request.estimatedMonthlyCostUsd, request.costEstimate);
  const rows: (SummaryRow | false)[] = [
    { label: "Request id", value: request.requestId },
    { label: "Requester", value: requesterLabel(request) },
    { label: "Resource", value: resourceLabel(request) },
    ...resourceDetailRows(request.resource),
    // Requests from before regions were created in the stack's own region, which they do not name.
    request.region !== undefined && { label: "Region", value: request.region },
    cost !== undefined && { label: "Estimated cost", value: cost },
    { label: "Justification", value: request.justification },
  ];
  return rows.filter((row): row is SummaryRow => row !== false);
};

export const renderTime = (moment: string): SafeHtml =>
  html`<time datetime="${moment}">${formatUtc(moment)}</time>`;
