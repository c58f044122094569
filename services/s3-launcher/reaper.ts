import type { Logger } from "@aws-lambda-powertools/logger";
import { createReleaseSteps, type ReaperDeps } from "../shared/release-checks.ts";
import { deployedReaperDeps } from "../shared/release-handler.ts";
import { releaseCheckDelaysMs } from "./config.ts";
import { KEPT_PROBLEM } from "./domain.ts";
import { type S3Gateway, s3GatewayIn } from "./s3.ts";
import { type BucketStore, bucketStore, type ReleaseRecord } from "./store.ts";

export interface ReleaseDeps extends ReaperDeps<BucketStore> {
  /** The S3 gateway of a region. */
  s3In: (region: string) => S3Gateway;
}

/** What the deployed release handlers work with: the real store, S3, bus and Scheduler, and the clock. */
export const releaseDeps = (logger: Logger): ReleaseDeps => ({
  ...deployedReaperDeps(bucketStore, releaseCheckDelaysMs, logger),
  s3In: s3GatewayIn,
});

/**
 * The steps of a bucket's release, shared by the handler that starts it and the reaper's checks:
 * deleting the bucket if it is empty, scheduling the next check, and publishing the release's one
 * outcome (whichever of ResourceReleased and ReleaseFailed comes first, services/shared/release-checks.ts).
 */
export const createReaper = (deps: ReleaseDeps) => {
  const { s3In, logger } = deps;
  const { scheduleCheck, ...reports } = createReleaseSteps("s3", deps);

  /** The bucket is gone: the release is done, once. */
  const released = async (requestId: string, release: ReleaseRecord): Promise<void> => {
    const ran = await reports.released(requestId, release, { outcome: "deleted" });
    logger.info(ran ? "Bucket released" : "Release already reported", {
      requestId,
      bucketName: release.resource.bucketName,
    });
  };

  /** The release failed, once: the bucket kept on purpose (it holds objects), or still there after the last check. */
  const failed = async (
    requestId: string,
    release: ReleaseRecord,
    outcome: { problem: string; kept: boolean; attempts: number },
  ): Promise<void> => {
    if (await reports.failed(requestId, release, outcome))
      logger.warn(outcome.kept ? "Bucket kept: it holds objects" : "The bucket could not be released", {
        requestId,
        problem: outcome.problem,
      });
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

  /** Starts a release: the bucket deleted if it is empty (the first check scheduled before), else kept. */
  const start = async (requestId: string, release: ReleaseRecord): Promise<void> => {
    await deleteIfEmpty(requestId, release, 0);
  };

  return { start, released, failed, scheduleCheck, deleteIfEmpty };
};
