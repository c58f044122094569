import {
  dollarsInWords,
  END_ACTION_DONE_WORDS,
  leaseDurationInWords,
  lengthInWords,
} from "../../api/request-words.ts";
import type { CostSoFar, LeaseExtension, LeaseRelease, LeaseView } from "../../api/schemas.ts";
import type { ShownRequest } from "./api.ts";
import { humanTime } from "./format.ts";
import type { SignedInUser } from "./sign-in.ts";

/**
 * The words the request page gives a lease: its end, what happens then, its extensions, its release,
 * and what the resource has cost so far; the page lays them out (pages/request.ts, lease-actions.ts).
 * `locale` and `timeZone` are the reader's unless given (tests give them).
 */

export interface Clock {
  now: Date;
  locale?: string;
  timeZone?: string;
}

const at = (iso: string, { locale, timeZone }: Clock) => humanTime(iso, locale, timeZone);

/** "in 2 days and 23 hours", or "3 hours ago": how far `iso` is from now. */
export const fromNow = (iso: string, { now }: Clock): string => {
  const milliseconds = new Date(iso).getTime() - now.getTime();
  return milliseconds >= 0 ? `in ${lengthInWords(milliseconds)}` : `${lengthInWords(-milliseconds)} ago`;
};

/**
 * A released lease in a line: "released 8 Dec 2026, 10:00:00 (2 hours ago) · terminated", "being
 * released since …" until its launcher confirms, or why it was not. Its planned end no longer says
 * anything once released early.
 */
const releasedLeaseInWords = (release: LeaseRelease, clock: Clock): string => {
  const when = (iso: string | undefined) => (iso ? ` ${at(iso, clock)} (${fromNow(iso, clock)})` : "");
  if (release.outcome)
    return `released${when(release.releasedAt ?? release.requestedAt)} · ${release.outcome}`;
  if (release.kept) return `kept${when(release.failedAt)}, not released`;
  if (release.failedAt || release.problem) return `release failed${when(release.failedAt)}`;
  return `being released${release.requestedAt ? ` since${when(release.requestedAt)}` : ""}`;
};

/**
 * The lease in a line: "ends 10 Dec 2026, 09:00:00 (in 3 days) · then terminated" once it runs, "no end",
 * or before the resource is ready "7 days from when it is ready · then terminated"; once a release is
 * asked for, the release's (releasedLeaseInWords).
 */
export const leaseInWords = (lease: LeaseView, clock: Clock): string => {
  if (lease.release) return releasedLeaseInWords(lease.release, clock);
  const then = `then ${END_ACTION_DONE_WORDS[lease.onEnd]}`;
  if (lease.endsAt === null || (lease.endsAt === undefined && lease.duration === null)) return "no end";
  if (lease.endsAt === undefined)
    return `${leaseDurationInWords(lease.duration as string)} from when it is ready · ${then}`;
  const verb = new Date(lease.endsAt) > clock.now ? "ends" : "ended";
  return `${verb} ${at(lease.endsAt, clock)} (${fromNow(lease.endsAt, clock)}) · ${then}`;
};

/** A list's cell of the lease's end: when, "No end", or nothing before the lease starts. */
export const leaseEndInWords = (
  leaseEndsAt: string | null | undefined,
  clock: Omit<Clock, "now"> = {},
): string => (leaseEndsAt === null ? "No end" : humanTime(leaseEndsAt, clock.locale, clock.timeZone));

/** "12 h", or "25 min" in the first hour. */
const hoursInWords = (hours: number): string =>
  hours < 1
    ? `${Math.round(hours * 60)} min`
    : `${new Intl.NumberFormat("en", { maximumFractionDigits: 0 }).format(Math.floor(hours))} h`;

/**
 * "Running for 12 h · about $0.13 so far", or once released "Ran for 12 h · about $0.13"; the cost is
 * unknown, never $0, where a price was or the resource is billed by use (a bucket).
 */
export const costSoFarInWords = ({ hours, usd }: CostSoFar, released: boolean): string => {
  const cost = usd === null ? "cost unknown" : `about ${dollarsInWords(usd)}${released ? "" : " so far"}`;
  return `${released ? "Ran" : "Running"} for ${hoursInWords(hours)} · ${cost}`;
};

const DECIDER_PREFIX = "policy:";

const deciderInWords = (decider: string) =>
  decider.startsWith(DECIDER_PREFIX) ? `policy ${decider.slice(DECIDER_PREFIX.length)}` : decider;

/**
 * One extension: "Extension 1: until 13 Dec 2026, 09:00:00 (+3 days), asked by ana@example.com ·
 * approved by policy default", or "· waiting for approval", or "· refused by lead@example.com: not now".
 */
export const extensionInWords = (extension: LeaseExtension, clock: Clock): string => {
  const longer = lengthInWords(new Date(extension.until).getTime() - new Date(extension.from).getTime());
  const asked = `Extension ${extension.n}: until ${at(extension.until, clock)} (+${longer})${extension.askedBy ? `, asked by ${extension.askedBy}` : ""}`;
  const by = extension.decider ? ` by ${deciderInWords(extension.decider)}` : "";
  const reason = extension.reason ? `: ${extension.reason}` : "";
  switch (extension.status) {
    case "requested":
      return `${asked} · waiting for approval`;
    case "approved":
      return `${asked} · approved${by}${reason}`;
    case "refused":
      return `${asked} · ${extension.decider ? `refused${by}` : "refused: nobody decided in time"}${reason}`;
  }
};

const RELEASE_REASON_WORDS: Record<LeaseRelease["reason"], string> = {
  "lease-ended": "the lease ended",
  "released-by-requester": "released by its requester",
  "released-by-operator": "released by an operator",
  "ended-outside": "ended outside this tool, while its lease ran",
};

/**
 * The release: why ("the lease ended", "released by its requester (ana@example.com): done early"), and
 * what became of it: being done, done (when), kept or failed (why).
 */
export const releaseInWords = (release: LeaseRelease, clock: Clock) => {
  const by = release.by ? ` (${release.by})` : "";
  const note = release.note ? `: ${release.note}` : "";
  const when = release.requestedAt ? `, ${at(release.requestedAt, clock)}` : "";
  const why = `${RELEASE_REASON_WORDS[release.reason]}${by}${when}${note}`;
  const outcome = release.outcome
    ? `${release.outcome}${release.releasedAt ? ` ${at(release.releasedAt, clock)}` : ""}${release.finalSnapshotIdentifier ? `, final snapshot ${release.finalSnapshotIdentifier}` : ""}`
    : release.kept
      ? `kept: ${release.problem ?? "it could not be released"}`
      : release.failedAt || release.problem
        ? `failed${release.failedAt ? ` ${at(release.failedAt, clock)}` : ""}: ${release.problem ?? "the launcher could not confirm it"}`
        : `${END_ACTION_DONE_WORDS[release.action]} now, being confirmed`;
  return { why, outcome };
};

/** The resource by its own name, as the page shows it once provisioned: "i-0abc…", "the bucket reports". */
const resourceCalled = (view: ShownRequest): string => {
  const named = (kind: string, name: string | undefined) => (name ? `the ${kind} ${name}` : `the ${kind}`);
  switch (view.resource?.type ?? "ec2") {
    case "ec2":
      return view.instanceId ?? "the instance";
    case "rds":
      return named("database", view.database?.identifier ?? view.dbInstanceIdentifier);
    case "s3":
      return named("bucket", view.bucket?.name);
  }
};

/**
 * What "Release now" will do, said before it is done: "This terminates i-0abc… now. This cannot be
 * undone.", by what the lease's terms say is done at the end.
 */
export const releaseConsequence = (view: ShownRequest): string => {
  const resource = resourceCalled(view);
  const what = {
    terminate: `This terminates ${resource} now.`,
    stop: `This stops ${resource} now, and its lease ends.`,
    "snapshot-and-delete": `This deletes ${resource} now, after a final snapshot.`,
    "delete-without-snapshot": `This deletes ${resource} now, without a final snapshot: its data is gone.`,
    "delete-if-empty": `This deletes ${resource} now if it is empty; a bucket with objects in it is kept, and you are told.`,
  }[view.lease?.onEnd ?? "terminate"];
  return `${what} This cannot be undone.`;
};

/** The reminder emails link to the request's page with `?action=` one of these, to open its dialog. */
export const LEASE_ACTIONS = ["extend", "release"] as const;
export type LeaseAction = (typeof LEASE_ACTIONS)[number];

/** The action a page address asks to open, if any (`?action=extend`, `?action=release`). */
export const leaseActionIn = (search: string): LeaseAction | undefined => {
  const action = new URLSearchParams(search).get("action");
  return LEASE_ACTIONS.find((known) => known === action);
};

/** What the request page offers `user` to do with the lease. */
export type LeaseOffer = Record<LeaseAction, boolean>;

/**
 * The lease's actions while the resource runs under it: release at any time, for its requester (by
 * email, whatever its case; the API judges by their identity) and operators, and again once a release
 * failed (or kept a bucket); extend an end (one extension waiting at a time), for its requester only
 * (an operator who also approves would otherwise approve their own extension).
 */
export const leaseOfferTo = (view: ShownRequest, user: SignedInUser): LeaseOffer => {
  const { lease } = view;
  const isRequester = view.requester?.email.toLowerCase() === user.email.toLowerCase();
  const started = (isRequester || user.groups.includes("operators")) && lease?.startedAt !== undefined;
  const running = started && view.status === "PROVISIONED" && lease?.release === undefined;
  return {
    release: running || (started && view.status === "RELEASE_FAILED"),
    extend:
      running &&
      isRequester &&
      typeof lease?.endsAt === "string" &&
      !lease.extensions.some((extension) => extension.status === "requested"),
  };
};
