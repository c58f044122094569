import type { DetailInputOf, DetailOf } from "../../events/contract.ts";
import { parseDuration } from "../../events/duration.ts";
import {
  DEFAULT_END_ACTIONS,
  type EndAction,
  type Extension,
  type LeasedResource,
  type LeaseTerms,
  type ReleaseReason,
} from "../../events/lease.ts";
import {
  type ExtensionDecided,
  ExtensionRequested,
  LeaseExpiring,
  LeaseExtended,
  LeaseStarted,
  type LeaseTimerDue,
  type ReleaseFailed,
  ReleaseRequested,
  type ResourceReleased,
} from "../../events/lease-events.ts";
import type { AcceptedRequest } from "../../events/request.ts";
import type { ResourceProvisioned } from "../../events/resource-provisioned.ts";
import type { LeaseLimits } from "../../policy/lease.ts";
import type { OwedCancellation, OwedEventOf, OwedSchedule as SharedOwedSchedule } from "../shared/outbox.ts";
import { isRequesterOf, type SignedInPerson } from "../shared/requester.ts";
import { scheduleNameFor } from "../shared/schedules.ts";

/**
 * A lease's clock, pure: when it starts and ends, which reminders it owes, what each of its timers
 * does, who may extend or release it and what that changes. Each change is a `Transition` computed
 * from the lease as read; the store writes it only if the lease is still as read, with the events and
 * schedules it owes in the same write (outbox.ts).
 */

/** Where a running lease stands; absent until it starts. */
export type LeaseStatus = "ACTIVE" | "RELEASING" | "RELEASED" | "RELEASE_FAILED";

/** A release asked for: by the lease's end, or early by its requester or an operator. */
export interface Release {
  reason: ReleaseReason;
  action: EndAction;
  by?: SignedInPerson;
  note?: string;
  requestedAt: string;
}

/** What the launcher reported of the release. */
export type ReleaseOutcome =
  | ({ released: true } & Pick<
      DetailOf<typeof ResourceReleased>,
      "outcome" | "finalSnapshotIdentifier" | "releasedAt"
    >)
  | ({ released: false } & Pick<
      DetailOf<typeof ReleaseFailed>,
      "problem" | "kept" | "attempts" | "failedAt"
    >);

/** The events the lease service publishes itself; LeaseTimerDue goes out through its schedules. */
export const LEASE_EVENTS = [
  LeaseStarted,
  LeaseExpiring,
  ExtensionRequested,
  LeaseExtended,
  ReleaseRequested,
] as const;

type LeaseEvent = (typeof LEASE_EVENTS)[number];

/** An event owed, as the item keeps it until it is on the bus. */
export type OwedEvent = OwedEventOf<LeaseEvent>;

export type TimerDue = DetailOf<typeof LeaseTimerDue>;

/** A one-time schedule owed: EventBridge Scheduler puts its LeaseTimerDue on the bus at `at`. */
export type OwedSchedule = SharedOwedSchedule<TimerDue>;

/** An event to publish, a schedule to make, or schedules the lease no longer needs to take back. */
export type OwedEntry = OwedEventOf<LeaseEvent> | OwedSchedule | OwedCancellation;

export const owed = <C extends LeaseEvent>(contract: C, detail: DetailInputOf<C>): OwedEvent =>
  ({ detailType: contract.detailType, detail }) as OwedEvent;

/** One item of the leases table. */
export interface LeaseRecord {
  requestId: string;
  /** From RequestApproved (or ResourceProvisioned, whichever came first). */
  request?: AcceptedRequest;
  /** From RequestApproved. */
  terms?: LeaseTerms;
  /** From ResourceProvisioned. */
  resource?: LeasedResource;
  provisionedAt?: string;
  status?: LeaseStatus;
  startedAt?: string;
  /** null: no end. */
  endsAt?: string | null;
  /** The reminders sent for the current end, by number. */
  remindersSent?: number[];
  /** How many extensions were asked for: the next is numbered one more. */
  extensions?: number;
  /** The extension asked for and not decided yet. */
  pendingExtension?: Extension;
  /**
   * An extension approved only once the lease's end had released it (a round's last vote crossing the
   * end timer): it extends nothing and stands refused, for this reason.
   */
  extensionTooLate?: Pick<Extension, "n" | "until"> & { reason: string; decidedAt: string };
  release?: Release;
  outcome?: ReleaseOutcome;
  /** Events and schedules owed and not yet done, by their place in the item's sequence. */
  outbox?: Record<string, OwedEntry>;
  eventSeq?: number;
  /** Bumped by every write: a write holds only if the item is still as its writer read it. */
  version: number;
  sweepTask?: "PUBLISH";
  sweepAt?: string;
}

/** A change to a lease, computed from it as read: fields to set, fields to remove, and what it owes. */
export interface Transition {
  set: Partial<LeaseRecord>;
  remove?: (keyof LeaseRecord)[];
  owed: OwedEntry[];
}

const later = (from: string, ms: number): string => new Date(Date.parse(from) + ms).toISOString();

/**
 * A request's terms as its RequestApproved gives them, or, on an approval from before leases, the
 * deployment's: LEASE_DEFAULT, ended as its type's default, at most LEASE_MAX.
 */
export const termsOf = (
  lease: LeaseTerms | undefined,
  request: AcceptedRequest,
  limits: Pick<LeaseLimits, "default" | "max">,
): LeaseTerms =>
  lease ?? { duration: limits.default, onEnd: DEFAULT_END_ACTIONS[request.resource.type], max: limits.max };

/** The resource as its launcher named it: where a request names no region, the stack's, as launchers launch it. */
export const leasedResourceOf = (
  { request, instanceId, database, bucket }: DetailOf<typeof ResourceProvisioned>,
  stackRegion: string,
): LeasedResource => {
  const region = request.region ?? stackRegion;
  // ResourceProvisioned's schema makes each type name its launch; these are its guarantees, read back.
  if (request.resource.type === "ec2" && instanceId) return { type: "ec2", instanceId, region };
  if (request.resource.type === "rds" && database)
    return { type: "rds", dbInstanceIdentifier: database.identifier, region };
  if (request.resource.type === "s3" && bucket)
    return { type: "s3", bucketName: bucket.name, region: bucket.region };
  throw new TypeError(
    `ResourceProvisioned of ${request.requestId} names no ${request.resource.type} resource`,
  );
};

/** The names of a lease's schedules: the same timer always gets the same one, so setting it again moves it. */
export const timerNameOf = (requestId: string, timer: Pick<TimerDue, "kind" | "n">): string =>
  scheduleNameFor(requestId, timer.kind === "end" ? "lease-end" : `lease-reminder-${timer.n}`);

/**
 * The timers of a lease ending at `endsAt`: each reminder (n from 1, `offsetsMs` longest first) whose
 * moment is still ahead of `now`, and the end. None for a lease with no end.
 */
export const timersOf = (
  requestId: string,
  endsAt: string | null,
  offsetsMs: readonly number[],
  now: Date,
): OwedSchedule[] => {
  if (endsAt === null) return [];
  const timer = (detail: TimerDue): OwedSchedule => ({
    schedule: { name: timerNameOf(requestId, detail), at: detail.dueAt, detail },
  });
  const reminders = offsetsMs.flatMap((offset, index) => {
    const dueAt = later(endsAt, -offset);
    return Date.parse(dueAt) > now.getTime()
      ? [timer({ requestId, kind: "reminder", n: index + 1, endsAt, dueAt })]
      : [];
  });
  return [...reminders, timer({ requestId, kind: "end", endsAt, dueAt: endsAt })];
};

/** The names of every schedule a lease may still have waiting, to take back when it ends early. */
export const timerNamesOf = (requestId: string, offsetsMs: readonly number[]): string[] => [
  ...offsetsMs.map((_, index) => timerNameOf(requestId, { kind: "reminder", n: index + 1 })),
  timerNameOf(requestId, { kind: "end" }),
];

/**
 * The lease's start, once both halves are known (the terms from RequestApproved, the resource from
 * ResourceProvisioned) and it has not started: ACTIVE from the moment the resource was provisioned,
 * owing LeaseStarted and its timers. Undefined while a half is missing, or once started.
 */
export const startTransition = (
  record: LeaseRecord,
  offsetsMs: readonly number[],
  now: Date,
): Transition | undefined => {
  const { requestId, request, terms, resource, provisionedAt } = record;
  // A release recorded before the start (events out of order) leaves nothing to start.
  if (record.startedAt !== undefined || record.status !== undefined) return undefined;
  if (!request || !terms || !resource || !provisionedAt) return undefined;
  const endsAt = terms.duration === null ? null : later(provisionedAt, parseDuration(terms.duration));
  return {
    set: { status: "ACTIVE", startedAt: provisionedAt, endsAt, remindersSent: [] },
    owed: [
      owed(LeaseStarted, { requestId, request, resource, terms, startedAt: provisionedAt, endsAt }),
      ...timersOf(requestId, endsAt, offsetsMs, now),
    ],
  };
};

/** What RequestApproved or ResourceProvisioned brings a lease: its half of what the lease starts from. */
export type LeaseHalf = Partial<Pick<LeaseRecord, "request" | "terms" | "resource" | "provisionedAt">>;

/**
 * A half joining the lease, in either order: what the lease did not know yet (the first delivery's
 * sticks), and its start when this half completes it. Undefined when it brings nothing new.
 */
export const joinTransition = (
  record: LeaseRecord,
  half: LeaseHalf,
  offsetsMs: readonly number[],
  now: Date,
): Transition | undefined => {
  const missing = Object.fromEntries(
    Object.entries(half).filter(([field]) => record[field as keyof LeaseHalf] === undefined),
  ) as LeaseHalf;
  const start = startTransition({ ...record, ...missing }, offsetsMs, now);
  if (Object.keys(missing).length === 0 && !start) return undefined;
  return { set: { ...missing, ...start?.set }, owed: start?.owed ?? [] };
};

/**
 * Why a due timer changes nothing, or undefined when it acts: the lease is not running, its end moved
 * since the timer was set (extended), or (a reminder) it was sent already (a second delivery).
 */
export const whyTimerIgnored = (record: LeaseRecord | undefined, due: TimerDue): string | undefined => {
  if (record?.status !== "ACTIVE") return `the lease is ${record?.status ?? "not running"}`;
  if (record.endsAt !== due.endsAt) return `the lease's end moved to ${record.endsAt}`;
  if (due.kind === "reminder" && record.remindersSent?.includes(due.n ?? 0))
    return "the reminder was sent already";
  return undefined;
};

type ActiveLease = LeaseRecord & Required<Pick<LeaseRecord, "request" | "terms" | "resource" | "startedAt">>;

const isStarted = (record: LeaseRecord): record is ActiveLease =>
  record.request !== undefined &&
  record.terms !== undefined &&
  record.resource !== undefined &&
  record.startedAt !== undefined;

const isActive = (record: LeaseRecord): record is ActiveLease =>
  record.status === "ACTIVE" && isStarted(record);

/**
 * What a due timer of an end the lease has since moved past repairs: the same timer owed again for the
 * end as it is. Its schedule should have moved with the end, but a slow writer making the old one after
 * the new one set it back; left so, the lease would never end. Undefined when the lease no longer runs
 * to an end, or that timer is not owed for it (a reminder sent already, or already past).
 */
export const staleTimerRepair = (
  record: LeaseRecord,
  due: TimerDue,
  offsetsMs: readonly number[],
  now: Date,
): Transition | undefined => {
  if (!isActive(record) || record.endsAt == null || record.endsAt === due.endsAt) return undefined;
  if (due.kind === "reminder" && record.remindersSent?.includes(due.n ?? 0)) return undefined;
  const name = timerNameOf(record.requestId, due);
  const timers = timersOf(record.requestId, record.endsAt, offsetsMs, now).filter(
    ({ schedule }) => schedule.name === name,
  );
  return timers.length > 0 ? { set: {}, owed: timers } : undefined;
};

const releaseOf = (lease: ActiveLease, release: Release): Transition => ({
  set: { status: "RELEASING", release },
  // A pending extension has nothing left to extend; its decision, when it comes, changes nothing. The
  // outcome of a release that failed before is for this one to replace.
  remove: ["pendingExtension", "outcome"],
  owed: [
    owed(ReleaseRequested, {
      requestId: lease.requestId,
      request: lease.request,
      resource: lease.resource,
      action: release.action,
      reason: release.reason,
      ...(release.by && { by: release.by }),
      ...(release.note !== undefined && { note: release.note }),
      requestedAt: release.requestedAt,
    }),
  ],
});

/** What a due timer the lease has not moved past does: one reminder, or the end and its release. */
export const timerTransition = (record: LeaseRecord, due: TimerDue, now: Date): Transition => {
  if (!isActive(record) || record.endsAt == null)
    throw new TypeError(`The lease of ${record.requestId} is not running`);
  if (due.kind === "end") {
    return releaseOf(record, {
      reason: "lease-ended",
      action: record.terms.onEnd,
      requestedAt: now.toISOString(),
    });
  }
  const n = due.n ?? 1;
  return {
    set: { remindersSent: [...(record.remindersSent ?? []), n] },
    owed: [
      owed(LeaseExpiring, {
        requestId: record.requestId,
        request: record.request,
        resource: record.resource,
        endsAt: record.endsAt,
        onEnd: record.terms.onEnd,
        n,
        remindedAt: now.toISOString(),
      }),
    ],
  };
};

/** Who the caller is to a lease: its request's requester, an operator (any request), or nobody. */
export type CallerRole = "requester" | "operator";

export const roleOf = (
  request: AcceptedRequest,
  caller: SignedInPerson & { groups: readonly string[] },
): CallerRole | undefined => {
  if (isRequesterOf(request, caller)) return "requester";
  return caller.groups.includes("operators") ? "operator" : undefined;
};

/**
 * Why the lease cannot take this now (HTTP 409), or, for `field`, the part of the body that is wrong
 * (HTTP 400).
 */
export class LeaseRefusedError extends Error {
  override readonly name = "LeaseRefusedError";
  constructor(
    message: string,
    readonly field?: "by",
  ) {
    super(message);
  }
}

/** A lease's state in words, for a refusal that names it. */
const stateOf = (record: LeaseRecord): string => {
  switch (record.status) {
    case undefined:
      return "its resource is not provisioned yet";
    case "ACTIVE":
      return "it is running";
    case "RELEASING":
      return "it is being released";
    case "RELEASED":
      return "it is released";
    case "RELEASE_FAILED":
      return "its release failed";
  }
};

/**
 * An extension of the lease by `byMs`, asked by `caller` with `justification`: refused when the lease
 * is not running, has no end, or has one waiting, and (naming `by`) when it is shorter than LEASE_MIN
 * or the whole lease would run longer than LEASE_MAX from its start; otherwise recorded as waiting and
 * owed as ExtensionRequested.
 */
export const extensionTransition = (
  record: LeaseRecord,
  {
    byMs,
    justification,
    caller,
    min,
    max,
    now,
  }: {
    byMs: number;
    justification: string;
    caller: SignedInPerson;
    /** LEASE_MIN, as written: an extension adds no less, as a lease runs no shorter. */
    min: string;
    /** LEASE_MAX, as written. */
    max: string;
    now: Date;
  },
): Transition & { extension: Extension } => {
  if (!isActive(record))
    throw new LeaseRefusedError(`The lease of ${record.requestId} cannot be extended: ${stateOf(record)}.`);
  if (record.endsAt == null)
    throw new LeaseRefusedError(`The lease of ${record.requestId} has no end to extend.`);
  if (record.pendingExtension) {
    throw new LeaseRefusedError(
      `The lease of ${record.requestId} has an extension to ${record.pendingExtension.until} waiting for its decision.`,
    );
  }
  if (byMs < parseDuration(min))
    throw new LeaseRefusedError(
      `is shorter than the ${min} (LEASE_MIN) an extension adds at the least`,
      "by",
    );
  // Compared as numbers before any date is made of them: a `by` such as P99999999D ends past every date.
  if (Date.parse(record.endsAt) + byMs - Date.parse(record.startedAt) > parseDuration(max)) {
    throw new LeaseRefusedError(
      `would make the lease run longer than the ${max} (LEASE_MAX) any lease may run from ${record.startedAt}`,
      "by",
    );
  }
  const until = later(record.endsAt, byMs);
  const extension: Extension = {
    n: (record.extensions ?? 0) + 1,
    until,
    from: record.endsAt,
    justification,
    askedBy: { email: caller.email, ...(caller.subject !== undefined && { subject: caller.subject }) },
    askedAt: now.toISOString(),
  };
  return {
    extension,
    set: { pendingExtension: extension, extensions: extension.n },
    owed: [
      owed(ExtensionRequested, {
        requestId: record.requestId,
        request: record.request,
        resource: record.resource,
        terms: record.terms,
        extension,
        startedAt: record.startedAt,
      }),
    ],
  };
};

/**
 * An early release of a running lease by `caller` (its requester or an operator): RELEASING at once,
 * owing ReleaseRequested with the terms' action, and the cancellation of its timers. A release that
 * failed (or kept a bucket) may be asked again the same way: its launcher takes it as a new release.
 */
export const releaseNowTransition = (
  record: LeaseRecord,
  {
    caller,
    role,
    note,
    offsetsMs,
    now,
  }: {
    caller: SignedInPerson;
    role: CallerRole;
    note?: string;
    offsetsMs: readonly number[];
    now: Date;
  },
): Transition & { release: Release } => {
  const failedBefore = record.status === "RELEASE_FAILED" && isStarted(record);
  if (!isActive(record) && !failedBefore)
    throw new LeaseRefusedError(
      `The resource of ${record.requestId} cannot be released now: ${stateOf(record)}.`,
    );
  const release: Release = {
    reason: role === "requester" ? "released-by-requester" : "released-by-operator",
    action: record.terms.onEnd,
    by: { email: caller.email, ...(caller.subject !== undefined && { subject: caller.subject }) },
    ...(note !== undefined && { note }),
    requestedAt: now.toISOString(),
  };
  const released = releaseOf(record, release);
  // A lease whose release failed has no timers left: its first release took them back, or its end fired.
  if (failedBefore) return { ...released, release };
  return {
    ...released,
    release,
    owed: [...released.owed, { cancel: timerNamesOf(record.requestId, offsetsMs) }],
  };
};

/**
 * An extension's decision, or undefined when it changes nothing (not the one waiting, or decided
 * already): refused, the waiting extension is cleared (the notifier tells the requester why);
 * approved, the end moves to it, with the reminders ahead of the new end and the end timer moved
 * (the same names), owing LeaseExtended. The last extension asked, approved once the lease's end or a
 * release had taken it (a round's last vote crossing the end timer), extends nothing: it stays in the
 * lease refused as too late, owing nothing (the requester has the release's email; docs/LEASES.md).
 */
export const extensionDecidedTransition = (
  record: LeaseRecord,
  decided: DetailOf<typeof ExtensionDecided>,
  offsetsMs: readonly number[],
  now: Date,
): Transition | undefined => {
  const pending = record.pendingExtension;
  if (pending?.n !== decided.extension.n) {
    const tooLate =
      decided.approved &&
      record.status !== "ACTIVE" &&
      decided.extension.n === record.extensions &&
      record.extensionTooLate?.n !== decided.extension.n;
    if (!tooLate) return undefined;
    return {
      set: {
        extensionTooLate: {
          n: decided.extension.n,
          until: decided.extension.until,
          reason: EXTENSION_TOO_LATE,
          decidedAt: decided.decidedAt,
        },
      },
      owed: [],
    };
  }
  const { decider } = decided;
  if (!decided.approved || !isActive(record) || record.endsAt == null) {
    return { set: {}, remove: ["pendingExtension"], owed: [] };
  }
  // ExtensionDecided's contract has an approved extension name who approved it.
  if (decider === undefined)
    throw new TypeError(`The approved extension of ${record.requestId} names no decider`);
  return {
    set: { endsAt: pending.until, remindersSent: [] },
    remove: ["pendingExtension"],
    owed: [
      ...timersOf(record.requestId, pending.until, offsetsMs, now),
      owed(LeaseExtended, {
        requestId: record.requestId,
        request: record.request,
        resource: record.resource,
        extension: {
          n: pending.n,
          until: pending.until,
          from: pending.from,
          justification: pending.justification,
        },
        previousEndsAt: record.endsAt,
        endsAt: pending.until,
        decider,
        extendedAt: now.toISOString(),
      }),
    ],
  };
};

/** Why an extension approved after the lease's end released it extends nothing. */
export const EXTENSION_TOO_LATE = "the lease ended before the extension was approved";

/**
 * The launcher's report of a release: RELEASED, or RELEASE_FAILED (also when a bucket was kept on
 * purpose: its lease is over, the bucket stays). A report names the release it answers by its
 * `releaseRequestedAt`, the lease's own `requestedAt` sent back, so no two clocks are compared: one
 * naming another release than the one now asked (a late report of a release that failed before) is
 * stale and changes nothing. A report naming none is of a resource that ended outside this tool: it
 * releases a lease still running or being released, with that reason, taking its timers back.
 * Undefined too when the lease already holds a confirmed release.
 */
export const releaseOutcomeTransition = (
  record: LeaseRecord,
  report:
    | ({ released: true } & DetailOf<typeof ResourceReleased>)
    | ({ released: false } & DetailOf<typeof ReleaseFailed>),
  offsetsMs: readonly number[],
): Transition | undefined => {
  if (record.status === "RELEASED") return undefined;
  const endedOutside = report.releaseRequestedAt === undefined;
  if (endedOutside) {
    if (!report.released || (record.status !== "ACTIVE" && record.status !== "RELEASING")) return undefined;
  } else if (report.releaseRequestedAt !== record.release?.requestedAt) return undefined;
  const outcome: ReleaseOutcome = report.released
    ? {
        released: true,
        outcome: report.outcome,
        ...(report.finalSnapshotIdentifier !== undefined && {
          finalSnapshotIdentifier: report.finalSnapshotIdentifier,
        }),
        releasedAt: report.releasedAt,
      }
    : {
        released: false,
        problem: report.problem,
        kept: report.kept,
        attempts: report.attempts,
        failedAt: report.failedAt,
      };
  return {
    set: {
      status: report.released ? "RELEASED" : "RELEASE_FAILED",
      outcome,
      // The release this tool asked for, if any, never happened: the lease ended as the report says.
      ...(report.released &&
        endedOutside && {
          release: { reason: report.reason, action: report.action, requestedAt: report.releasedAt },
        }),
    },
    remove: ["pendingExtension"],
    owed: record.status === "ACTIVE" ? [{ cancel: timerNamesOf(record.requestId, offsetsMs) }] : [],
  };
};
