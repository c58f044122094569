import type { TimelineEntry } from "../../api/schemas.ts";
import type { RequestStatus } from "../../events/request-status.ts";
import { ResourceRequested } from "../../events/resource-requested.ts";

const LABELS: Record<RequestStatus, { label: string; tone: "" | "ok" | "bad" | "warn" }> = {
  SUBMITTED: { label: "Submitted", tone: "" },
  PENDING_APPROVAL: { label: "Pending approval", tone: "warn" },
  APPROVED: { label: "Approved", tone: "ok" },
  REJECTED: { label: "Rejected", tone: "bad" },
  EXPIRED: { label: "Expired", tone: "bad" },
  CANCELLED: { label: "Cancelled", tone: "" },
  INVALID: { label: "Invalid", tone: "bad" },
  PROVISIONING: { label: "Provisioning", tone: "" },
  PROVISIONED: { label: "Provisioned", tone: "ok" },
  FAILED: { label: "Failed", tone: "bad" },
  RELEASING: { label: "Releasing", tone: "warn" },
  RELEASED: { label: "Released", tone: "" },
  RELEASE_FAILED: { label: "Release failed", tone: "bad" },
};

/**
 * Statuses after which nothing more happens to a request, so the page stops refreshing. A PROVISIONED
 * resource is not one: its lease runs on (extended, ended, released early) until it is RELEASED, or its
 * release failed and is left to the operators.
 */
const FINAL: ReadonlySet<string> = new Set([
  "REJECTED",
  "EXPIRED",
  "CANCELLED",
  "INVALID",
  "FAILED",
  "RELEASED",
  "RELEASE_FAILED",
]);

export const statusLabel = (status: string) => LABELS[status as RequestStatus]?.label ?? status;
export const statusTone = (status: string) => LABELS[status as RequestStatus]?.tone ?? "";
export const isFinalStatus = (status: string) => FINAL.has(status);

/** "28 Nov 2026, 10:04:05" in the reader's own locale and time zone. */
export const humanTime = (iso: string | undefined, locale?: string, timeZone?: string): string => {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "medium", timeZone }).format(date);
};

/** Splits "RequestApproved" into "Request approved" for the timeline. */
export const eventLabel = (detailType: string) =>
  detailType
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/ (\w)/g, (_, letter: string) => ` ${letter.toLowerCase()}`);

/**
 * Who an entry of the timeline came from. A request can come from outside, so for a
 * `ResourceRequested` the portal says who published it: its source and, when known, its account.
 */
export const publisherLabel = ({
  type,
  source,
  account,
}: Pick<TimelineEntry, "type" | "source" | "account">) =>
  type === ResourceRequested.detailType
    ? `published by ${source}${account === undefined ? "" : ` (account ${account})`}`
    : source;
