import type { Logger } from "@aws-lambda-powertools/logger";
import { LAUNCHER_SOURCES } from "../../events/launched-resource.ts";
import { ReleaseFailed, ResourceReleased } from "../../events/lease-events.ts";
import type { Publisher } from "../../events/publish.ts";
import { publisher } from "../shared/events.ts";
import { nextReleaseCheck, scheduleReleaseCheck } from "../shared/release-checks.ts";
import type { Schedules } from "../shared/schedules.ts";
import { releaseCheckDelaysMs } from "./config.ts";
import { KEPT_PROBLEM } from "./domain.ts";
import { type S3Gateway, s3GatewayIn } from "./s3.ts";
import { schedules } from "./schedules.ts";
import { type BucketStore, bucketStore, type ReleaseRecord } from "./store.ts";

export interface ReleaseDeps {
  store: BucketStore;
  /** The S3 gateway of a region. */
  s3In: (region: string) => S3Gateway;
  publish: Publisher["publish"];
  schedules: Schedules;
  /** How long the reaper waits before each of its checks, in order. */
  releaseCheckDelaysMs: readonly number[];
  now: () => Date;
  logger: Logger;
}

/** What the deployed release handlers work with: the real store, S3, bus and Scheduler, and the clock. */
export const releaseDeps = (logger: Logger): ReleaseDeps => ({
  store: bucketStore,
  s3In: s3GatewayIn,
  publish: publisher.publish,
  schedules,
  releaseCheckDelaysMs,
  now: () => new Date(),
  logger,
});

/**
 * The steps of a bucket's release, shared by the handler that starts it and the reaper's checks:
 * deleting the bucket if it is empty, scheduling the next check, and publishing the release's one
 * outcome (whichever of ResourceReleased and ReleaseFailed comes first).
 */
export const createReaper = ({
  store,
  s3In,
  publish,
  schedules,
  releaseCheckDelaysMs,
  now,
  logger,
}: ReleaseDeps) => {
  const source = LAUNCHER_SOURCES.s3;

  const settle = async (requestId: string, publishOutcome: () => Promise<string[]>) => {
    const { ran } = await store.publishOnce(requestId, "release-outcome", publishOutcome);
    await store.markReleaseSettled(requestId, now());
    return ran;
  };

  /** The bucket is gone: the release is done, once. */
  const released = async (requestId: string, release: ReleaseRecord): Promise<void> => {
    const { request, resource, action, reason, by } = release;
    const ran = await settle(requestId, () =>
      publish(
        ResourceReleased,
        {
          requestId,
          request,
          resource,
          action,
          outcome: "deleted",
          reason,
          ...(by && { by }),
          releasedAt: now().toISOString(),
        },
        { source },
      ),
    );
    logger.info(ran ? "Bucket released" : "Release already reported", {
      requestId,
      bucketName: resource.bucketName,
    });
  };

  /** The release failed, once: the bucket kept on purpose (it holds objects), or still there after the last check. */
  const failed = async (
    requestId: string,
    release: ReleaseRecord,
    { problem, kept, attempts }: { problem: string; kept: boolean; attempts: number },
  ): Promise<void> => {
    const { request, resource, action, reason } = release;
    const ran = await settle(requestId, () =>
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
          failedAt: now().toISOString(),
        },
        { source },
      ),
    );
    if (ran)
      logger.warn(kept ? "Bucket kept: it holds objects" : "The bucket could not be released", {
        requestId,
        problem,
      });
  };

  /** Schedules the check after `attempt` (0: the first); false when the delays are used up. */
  const scheduleCheck = async (requestId: string, attempt: number): Promise<boolean> => {
    const next = nextReleaseCheck(requestId, "s3", attempt, releaseCheckDelaysMs, now());
    if (!next) return false;
    await scheduleReleaseCheck(schedules, next);
    return true;
  };

  /**
   * Deletes the bucket if it is empty, the next check scheduled first so that the reaper confirms it.
   * A bucket that holds objects (or was written to meanwhile, which S3 answers BucketNotEmpty) is kept,
   * and the release fails saying so. `attempt`: the check this is (0: the release itself). Resolves to
   * "used-up" when it was the last check, the bucket left as it is for the release to fail.
   */
  const deleteIfEmpty = async (
    requestId: string,
    release: ReleaseRecord,
    attempt: number,
  ): Promise<"deleting" | "kept" | "used-up"> => {
    const { bucketName, region } = release.resource;
    const s3 = s3In(region);
    const keep = async () => {
      await failed(requestId, release, { problem: KEPT_PROBLEM, kept: true, attempts: Math.max(attempt, 1) });
      return "kept" as const;
    };
    if ((await s3.contentsOf(bucketName)) === "holds-objects") return keep();
    if (!(await scheduleCheck(requestId, attempt))) return "used-up";
    const result = await s3.deleteBucket(bucketName);
    if (result === "not-empty") return keep();
    logger.info(result === "deleted" ? "Bucket deleted" : "Bucket gone already", {
      requestId,
      bucketName,
      region,
    });
    return "deleting";
  };

  return { released, failed, scheduleCheck, deleteIfEmpty };
};
