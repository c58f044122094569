import type { Logger } from "@aws-lambda-powertools/logger";
import type { UpdateCommandInput } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import type { DetailOf } from "../../events/contract.ts";
import { LAUNCHER_SOURCES } from "../../events/launched-resource.ts";
import { NO_END_TAG_VALUE } from "../../events/lease.ts";
import {
  LeaseExtended,
  LeaseStarted,
  ReleaseCheckDue,
  ReleaseFailed,
  ReleaseRequested,
  ResourceReleased,
} from "../../events/lease-events.ts";
import type { Publisher } from "../../events/publish.ts";
import type { ResourceType } from "../../events/request.ts";
import { unlessConditionFails, whetherConditionHeld } from "./dynamo.ts";
import { type Schedules, scheduleNameFor } from "./schedules.ts";

/**
 * The launchers' reaper: after a launcher acts on a release it does not take the call's word for it,
 * but looks again (a describe) after each of RELEASE_CHECK_DELAYS in turn, through one-time
 * EventBridge Scheduler schedules, so a restart loses no check. A check that finds the resource gone
 * reports it released; one that finds it still running releases it again and waits for the next; after
 * the last, the release fails (ReleaseFailed, and the operators are mailed). A release that failed (or
 * kept a bucket) may be asked again: the next ReleaseRequested starts a new release, numbered one more,
 * whose checks start afresh and whose report is published once again, under its own number.
 */

export type ReleaseCheck = DetailOf<typeof ReleaseCheckDue>;

/**
 * The lease events a launcher takes, of its own resource type: `LeaseStarted` or `LeaseExtended` (both
 * set the lease's end, `endsAt`, null for none, which is all the ExpiresAt tag needs); `ReleaseRequested`
 * with one of its type's end actions (another type's action here is a broken contract); and its reaper's
 * own checks. The subscriptions route only these to it.
 */
export const launcherLeaseSchemasOf = <
  Type extends ResourceType,
  Resource extends z.ZodType,
  Action extends z.ZodType,
>(
  resourceType: Type,
  resource: Resource,
  action: Action,
) => ({
  leaseEnd: z.union([LeaseStarted.schema.extend({ resource }), LeaseExtended.schema.extend({ resource })]),
  release: ReleaseRequested.schema.extend({ resource, action }),
  check: ReleaseCheckDue.schema.extend({ resourceType: z.literal(resourceType) }),
});

/** The check after `attempt` (0: the first after acting), or undefined when the delays are used up. */
export const nextReleaseCheck = (
  requestId: string,
  resourceType: ResourceType,
  attempt: number,
  delaysMs: readonly number[],
  now: Date,
): ReleaseCheck | undefined => {
  const delay = delaysMs[attempt];
  if (delay === undefined) return undefined;
  return {
    requestId,
    resourceType,
    attempt: attempt + 1,
    dueAt: new Date(now.getTime() + delay).toISOString(),
  };
};

/** Has Scheduler put the check on the bus at its time, under the launcher's own source. */
const scheduleReleaseCheck = (schedules: Schedules, check: ReleaseCheck): Promise<string> =>
  schedules.scheduleOnce({
    name: scheduleNameFor(check.requestId, `release-check-${check.attempt}`),
    at: new Date(check.dueAt),
    contract: ReleaseCheckDue,
    detail: check,
    source: LAUNCHER_SOURCES[check.resourceType],
  });

/** A release as a launcher records it: what its ReleaseRequested asked (what its report repeats), and how it ended. */
export interface RecordedRelease
  extends Pick<
    DetailOf<typeof ReleaseRequested>,
    "request" | "resource" | "action" | "reason" | "by" | "requestedAt"
  > {
  /** The release's number for its request, from 1; absent on releases recorded before there could be more. */
  n?: number;
  /** When its ResourceReleased or ReleaseFailed was published: later checks and redeliveries do nothing. */
  settledAt?: string;
  /** What the resource ended as, once its ResourceReleased was published. */
  outcome?: DetailOf<typeof ResourceReleased>["outcome"];
  /** When its ReleaseFailed was published: a later ReleaseRequested starts a new release. */
  failedAt?: string;
  /**
   * The provider's latest refusal to release the resource, one asking again will not change (protection,
   * permissions): the release's ReleaseFailed names it.
   */
  refusal?: string;
}

const releaseNumberOf = (release: Pick<RecordedRelease, "n">): number => release.n ?? 1;

/**
 * The idempotency effect of a release's one report (ResourceReleased or ReleaseFailed): the first
 * release keeps the name releases had before there could be more than one.
 */
export type ReleaseOutcomeEffect = "release-outcome" | `release-outcome-${number}`;

export const releaseOutcomeEffect = (release: Pick<RecordedRelease, "n">): ReleaseOutcomeEffect => {
  const n = releaseNumberOf(release);
  return n === 1 ? "release-outcome" : `release-outcome-${n}`;
};

/**
 * Whether a ReleaseRequested asked at `requestedAt` starts a new release: none is recorded, or the one
 * recorded failed and was asked before it. Otherwise the recorded one stands (the first asked sticks):
 * the same one redelivered, or another asked while it is under way or done.
 */
export const startsNewRelease = (
  recorded: Pick<RecordedRelease, "requestedAt" | "failedAt"> | undefined,
  requestedAt: string,
): boolean =>
  recorded === undefined || (recorded.failedAt !== undefined && recorded.requestedAt < requestedAt);

/** The reads and writes of a launcher's table, keyed by request id, whose item keeps the release. */
export interface ReleaseTable<R extends RecordedRelease> {
  get: (requestId: string) => Promise<{ release?: R } | undefined>;
  update: (input: Omit<UpdateCommandInput, "TableName">) => Promise<unknown>;
}

/**
 * Records the release asked, when it starts a new one (`startsNewRelease`), numbered one more than the
 * one it follows, its checks and outcome left behind; answers the release as it stands. Two deliveries
 * of one ReleaseRequested at once record it once: the write holds only on the release as read.
 */
export const recordReleaseIn = async <R extends RecordedRelease>(
  table: ReleaseTable<R>,
  requestId: string,
  asked: Omit<R, "n" | "settledAt" | "failedAt">,
): Promise<R> => {
  const recorded = (await table.get(requestId))?.release;
  if (recorded && !startsNewRelease(recorded, asked.requestedAt)) return recorded;
  const release = { ...asked, n: recorded ? releaseNumberOf(recorded) + 1 : 1 } as R;
  const held = await whetherConditionHeld(
    table.update({
      Key: { requestId },
      UpdateExpression: "SET #release = :release",
      ConditionExpression: recorded ? "#release.requestedAt = :previous" : "attribute_not_exists(#release)",
      ExpressionAttributeNames: { "#release": "release" },
      ExpressionAttributeValues: {
        ":release": release,
        ...(recorded && { ":previous": recorded.requestedAt }),
      },
    }),
  );
  if (held) return release;
  // Another delivery recorded a release meanwhile: that one stands.
  return (await table.get(requestId))?.release as R;
};

/** The value of the `ExpiresAt` tag for a lease's end: the end, or `never` for a lease with none. */
export const expiresAtValueOf = (endsAt: string | null): string => endsAt ?? NO_END_TAG_VALUE;

/**
 * Records the lease end the resource is to be tagged with (its ExpiresAt value), unless a later one is
 * recorded already: a lease only moves later, so an older LeaseStarted or LeaseExtended delivered late
 * must not put its end back. ISO timestamps of one format order as text, and `never` (no end, which is
 * never extended) sorts after every one of them. True when `value` is the latest, also when it is
 * recorded already (a redelivery, which tags again).
 */
export const recordExpiresAtIn = (
  table: Pick<ReleaseTable<RecordedRelease>, "update">,
  requestId: string,
  value: string,
): Promise<boolean> =>
  whetherConditionHeld(
    table.update({
      Key: { requestId },
      UpdateExpression: "SET expiresAt = :value",
      ConditionExpression: "attribute_not_exists(expiresAt) OR expiresAt <= :value",
      ExpressionAttributeValues: { ":value": value },
    }),
  );

/**
 * Records that the resource was provisioned, as its ResourceProvisioned is published (the first time
 * sticks): a resource that ends after this with no release recorded ended outside this tool.
 */
export const markProvisionedIn = async (
  table: Pick<ReleaseTable<RecordedRelease>, "update">,
  requestId: string,
  at: Date,
): Promise<void> => {
  await table.update({
    Key: { requestId },
    UpdateExpression: "SET provisionedAt = if_not_exists(provisionedAt, :at)",
    ConditionExpression: "attribute_exists(requestId)",
    ExpressionAttributeValues: { ":at": at.toISOString() },
  });
};

/** Keeps the provider's latest refusal to release the resource, for the ReleaseFailed if it stays. */
export const recordReleaseRefusalIn = async (
  table: Pick<ReleaseTable<RecordedRelease>, "update">,
  requestId: string,
  refusal: string,
): Promise<void> => {
  await table.update({
    Key: { requestId },
    UpdateExpression: "SET #release.refusal = :refusal",
    ConditionExpression: "attribute_exists(#release)",
    ExpressionAttributeNames: { "#release": "release" },
    ExpressionAttributeValues: { ":refusal": refusal },
  });
};

/** How a release ended, as its launcher records it once the report is published. */
export interface ReleaseSettlement {
  at: Date;
  /** What the resource ended as; absent when the release failed. */
  outcome?: RecordedRelease["outcome"];
}

/**
 * Records how the release asked at `requestedAt` ended, the first settlement sticking; nothing when a
 * newer release has been recorded since (its report was a late one of the release before).
 */
export const settleReleaseIn = async (
  table: Pick<ReleaseTable<RecordedRelease>, "update">,
  requestId: string,
  requestedAt: string,
  { at, outcome }: ReleaseSettlement,
): Promise<void> => {
  const set = { settledAt: at.toISOString(), ...(outcome ? { outcome } : { failedAt: at.toISOString() }) };
  await unlessConditionFails(
    table.update({
      Key: { requestId },
      UpdateExpression: `SET ${Object.keys(set)
        .map((name) => `#release.#${name} = if_not_exists(#release.#${name}, :${name})`)
        .join(", ")}`,
      ConditionExpression: "#release.requestedAt = :requestedAt",
      ExpressionAttributeNames: {
        "#release": "release",
        ...Object.fromEntries(Object.keys(set).map((name) => [`#${name}`, name])),
      },
      ExpressionAttributeValues: {
        ":requestedAt": requestedAt,
        ...Object.fromEntries(Object.entries(set).map(([name, value]) => [`:${name}`, value])),
      },
    }),
  );
};

/** What the reaper's reports need of a launcher's store. */
export interface ReleaseReportStore {
  // A method, so that a launcher's store that records its own resource's releases fits.
  recordRelease(
    requestId: string,
    asked: Omit<RecordedRelease, "n" | "settledAt" | "failedAt">,
  ): Promise<RecordedRelease>;
  publishOnce: (
    requestId: string,
    effect: ReleaseOutcomeEffect,
    publish: () => Promise<string[]>,
  ) => Promise<{ ran: boolean }>;
  settleRelease: (requestId: string, requestedAt: string, settlement: ReleaseSettlement) => Promise<void>;
}

/** What every launcher's reaper works with, besides its own resource's gateway. */
export interface ReaperDeps<Store extends ReleaseReportStore> {
  store: Store;
  publish: Publisher["publish"];
  schedules: Schedules;
  /** RELEASE_CHECK_DELAYS, in milliseconds: at least one. */
  releaseCheckDelaysMs: readonly number[];
  now: () => Date;
  logger: Logger;
}

/**
 * The steps of a release that are the same for every launcher: scheduling the check after `attempt`
 * (0: the first after acting; false when the delays are used up), and the release's one report,
 * ResourceReleased once a check found the resource gone, or ReleaseFailed; whichever is published
 * first, once per release, naming the release it answers (`releaseRequestedAt`; none for a resource
 * ended outside this tool), then recorded as settled. Each report resolves whether this call published it.
 */
export const createReleaseSteps = (
  resourceType: ResourceType,
  { store, publish, schedules, releaseCheckDelaysMs, now }: Omit<ReaperDeps<ReleaseReportStore>, "logger">,
) => {
  const scheduleCheck = async (requestId: string, attempt: number): Promise<boolean> => {
    const next = nextReleaseCheck(requestId, resourceType, attempt, releaseCheckDelaysMs, now());
    if (next) await scheduleReleaseCheck(schedules, next);
    return next !== undefined;
  };

  const settle = async (
    requestId: string,
    release: RecordedRelease,
    outcome: ReleaseSettlement["outcome"],
    publishOutcome: () => Promise<string[]>,
  ): Promise<boolean> => {
    const { ran } = await store.publishOnce(requestId, releaseOutcomeEffect(release), publishOutcome);
    await store.settleRelease(requestId, release.requestedAt, { at: now(), ...(outcome && { outcome }) });
    return ran;
  };

  const released = (
    requestId: string,
    release: RecordedRelease,
    found: Pick<DetailOf<typeof ResourceReleased>, "outcome" | "finalSnapshotIdentifier">,
  ): Promise<boolean> => {
    const { request, resource, action, reason, by } = release;
    return settle(requestId, release, found.outcome, () =>
      publish(
        ResourceReleased,
        {
          requestId,
          request,
          resource,
          action,
          reason,
          ...(by && { by }),
          ...found,
          // A resource ended outside this tool answers no ReleaseRequested.
          ...(reason !== "ended-outside" && { releaseRequestedAt: release.requestedAt }),
          releasedAt: now().toISOString(),
        },
        { source: LAUNCHER_SOURCES[resource.type] },
      ),
    );
  };

  const failed = (
    requestId: string,
    release: RecordedRelease,
    { problem, kept, attempts }: Pick<DetailOf<typeof ReleaseFailed>, "problem" | "kept" | "attempts">,
  ): Promise<boolean> => {
    const { request, resource, action, reason } = release;
    return settle(requestId, release, undefined, () =>
      publish(
        ReleaseFailed,
        {
          requestId,
          request,
          resource,
          action,
          reason,
          problem,
          kept,
          attempts,
          releaseRequestedAt: release.requestedAt,
          failedAt: now().toISOString(),
        },
        { source: LAUNCHER_SOURCES[resource.type] },
      ),
    );
  };

  /**
   * The resource ended outside this tool while its lease ran (terminated or deleted, no release asked):
   * recorded as a release of its own, so that a ReleaseRequested arriving later finds it settled, and
   * reported released once, reason ended-outside. Nothing when another release was recorded meanwhile:
   * its own checks report it. Resolves whether this call published the report.
   */
  const endedOutside = async (
    requestId: string,
    ended: Pick<RecordedRelease, "request" | "resource" | "action">,
    outcome: NonNullable<RecordedRelease["outcome"]>,
  ): Promise<boolean> => {
    const release = await store.recordRelease(requestId, {
      ...ended,
      reason: "ended-outside",
      requestedAt: now().toISOString(),
    });
    return release.reason === "ended-outside" && released(requestId, release, { outcome });
  };

  return { scheduleCheck, released, failed, endedOutside };
};
