import type { Logger } from "@aws-lambda-powertools/logger";
import { createReleaseSteps, type ReaperDeps } from "../shared/release-checks.ts";
import { deployedReaperDeps } from "../shared/release-handler.ts";
import { releaseCheckDelaysMs } from "./config.ts";
import {
  buildDeleteDbInstanceInput,
  CREATION_TAG_KEYS,
  classifyDeleteError,
  deleteRefusalReason,
} from "./domain.ts";
import { type RdsGateway, rdsFailureOf, rdsGateway } from "./rds.ts";
import { type CreationRecord, type CreationStore, creationStore, type ReleaseRecord } from "./store.ts";

export interface ReleaseDeps extends ReaperDeps<CreationStore> {
  rds: RdsGateway;
}

/** What the deployed release handlers work with: the real store, RDS, bus and Scheduler, and the clock. */
export const releaseDeps = (logger: Logger): ReleaseDeps => ({
  ...deployedReaperDeps(creationStore, releaseCheckDelaysMs, logger),
  rds: rdsGateway,
});

/**
 * The steps of a DB instance's release, shared by the handler that starts it and the reaper's checks:
 * asking RDS to delete the instance, scheduling the next check, and publishing the release's one
 * outcome (whichever of ResourceReleased and ReleaseFailed comes first, services/shared/release-checks.ts).
 */
export const createReaper = (deps: ReleaseDeps) => {
  const { store, rds, logger } = deps;
  const { scheduleCheck, ...reports } = createReleaseSteps("rds", deps);

  /**
   * Asks RDS to delete the instance, with the release's final snapshot. An instance gone already, or
   * being deleted, or too busy for a snapshot now, is left to the next check; a refusal that asking
   * again will not change is kept for the ReleaseFailed. Anything else throws, for the bus to retry.
   */
  const deleteInstance = async (requestId: string, release: ReleaseRecord): Promise<void> => {
    const { region, dbInstanceIdentifier } = release.resource;
    try {
      const result = await rds.deleteDbInstance(
        region,
        buildDeleteDbInstanceInput(dbInstanceIdentifier, release.finalSnapshotIdentifier),
      );
      logger.info(result === "deleting" ? "DB instance being deleted" : "DB instance gone already", {
        requestId,
        dbInstanceIdentifier,
        region,
      });
    } catch (error) {
      const failure = rdsFailureOf(error);
      const kind = classifyDeleteError(failure);
      if (kind === "retryable") throw error;
      logger.warn(kind === "wait" ? "RDS cannot delete the instance now" : "RDS refused the deletion", {
        requestId,
        dbInstanceIdentifier,
        errorCode: failure.code,
      });
      if (kind === "refused") await store.recordReleaseRefusal(requestId, deleteRefusalReason(failure));
    }
  };

  /** Starts a release: the first check scheduled first, so that whatever the deletion does, the reaper looks. */
  const start = async (requestId: string, release: ReleaseRecord): Promise<void> => {
    await scheduleCheck(requestId, 0);
    await deleteInstance(requestId, release);
  };

  /** The instance is gone: the release is done, once. */
  const released = async (requestId: string, release: ReleaseRecord): Promise<void> => {
    const { finalSnapshotIdentifier } = release;
    const ran = await reports.released(requestId, release, {
      outcome: "deleted",
      ...(finalSnapshotIdentifier && { finalSnapshotIdentifier }),
    });
    logger.info(ran ? "DB instance released" : "Release already reported", {
      requestId,
      dbInstanceIdentifier: release.resource.dbInstanceIdentifier,
    });
  };

  /** The instance is still there after the last check: the release failed, once. */
  const failed = async (
    requestId: string,
    release: ReleaseRecord,
    problem: string,
    attempts: number,
  ): Promise<void> => {
    const ran = await reports.failed(requestId, release, { problem, kept: false, attempts });
    if (ran) logger.error("The DB instance could not be released", { requestId, problem });
  };

  /**
   * RDS reported the instance deleted after it was provisioned, with no release recorded: unless RDS
   * still describes it, it was deleted outside this tool while its lease ran, and is reported released,
   * once (no final snapshot of this tool's).
   */
  const endedOutside = async ({ requestId, request, region, dbInstanceIdentifier }: CreationRecord) => {
    const described = await rds.describeDbInstance(region, dbInstanceIdentifier);
    if (described?.tags[CREATION_TAG_KEYS.requestId] === requestId) {
      logger.info("Deletion reported, but RDS still describes the instance; ignored", { requestId });
      return;
    }
    const resource = { type: "rds" as const, dbInstanceIdentifier, region };
    const ran = await reports.endedOutside(
      requestId,
      { request, resource, action: "delete-without-snapshot" },
      "deleted",
    );
    if (ran)
      logger.warn("DB instance deleted outside this tool while its lease ran", { requestId, ...resource });
  };

  return { start, deleteInstance, scheduleCheck, released, failed, endedOutside };
};
