import type { AcceptedRequest } from "../../events/request.ts";
import { html, type SafeHtml } from "../shared/html.ts";
import type { SummaryRow } from "../shared/layout.ts";

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

/** e.g. "Tue, 1 Dec 2026, 14:05 UTC": readable wherever the approver is. */
export const formatUtc = (moment: Date | string): string => `${UTC_FORMAT.format(new Date(moment))} UTC`;

export const requesterLabel = (request: AcceptedRequest): string =>
  request.requester.name ? `${request.requester.name} <${request.requester.email}>` : request.requester.email;

export const resourceLabel = (request: AcceptedRequest): string =>
  `EC2 ${request.resource.instanceType} (${request.resource.os})`;

/** The request as an approver reads it, in the approval email and on the decision pages alike. */
export const requestSummaryRows = (request: AcceptedRequest): SummaryRow[] => {
  const { resource } = request;
  const rows: (SummaryRow | false)[] = [
    { label: "Request id", value: request.requestId },
    { label: "Requester", value: requesterLabel(request) },
    { label: "Resource", value: resourceLabel(request) },
    resource.name !== undefined && { label: "Name", value: resource.name },
    resource.volume !== undefined && {
      label: "Volume",
      value: `${resource.volume.sizeGiB} GiB ${resource.volume.type}`,
    },
    resource.privateIp !== undefined && { label: "Private IP", value: resource.privateIp },
    resource.subnetId !== undefined && { label: "Subnet", value: resource.subnetId },
    { label: "Justification", value: request.justification },
  ];
  return rows.filter((row): row is SummaryRow => row !== false);
};

export const renderTime = (moment: string): SafeHtml =>
  html`<time datetime="${moment}">${formatUtc(moment)}</time>`;
