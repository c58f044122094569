import type { Logger } from "@aws-lambda-powertools/logger";
import { LAUNCHER_SOURCES } from "../../events/launched-resource.ts";
import { ReleaseFailed, ResourceReleased } from "../../events/lease-events.ts";
import type { Publisher } from "../../events/publish.ts";
import { publisher } from "../shared/events.ts";
import { nextReleaseCheck, scheduleReleaseCheck } from "../shared/release-checks.ts";
import type { Schedules } from "../shared/schedules.ts";
import { releaseCheckDelaysMs } from "./config.ts";
import { buildDeleteDbInstanceInput, classifyDeleteError, deleteRefusalReason } from "./domain.ts";
import { type RdsGateway, rdsFailureOf, rdsGateway } from "./rds.ts";
import { schedules } from "./schedules.ts";
import { type CreationStore, creationStore, type ReleaseRecord } from "./store.ts";

export interface ReleaseDeps {
  store: CreationStore;
  rds: RdsGateway;
  publish: Publisher["publish"];
  schedules: Schedules;
  /** How long the reaper waits before each of its checks, in order. */
  releaseCheckDelaysMs: readonly number[];
  now: () => Date;
  logger: Logger;
}

/** What the deployed release handlers work with: the real store, RDS, bus and Scheduler, and the clock. */
export const releaseDeps = (logger: Logger): ReleaseDeps => ({
  store: creationStore,
  rds: rdsGateway,
  publish: publisher.publish,
  schedules,
  releaseCheckDelaysMs,
  now: () => new Date(),
  logger,
});

/**
 * The steps of a DB instance's release, shared by the handler that starts it and the reaper's checks:
 * asking RDS to delete the instance, scheduling the next check, and publishing the release's one
 * outcome (whichever of ResourceReleased and ReleaseFailed comes first).
 */
export const createReaper = ({
  store,
  rds,
  publish,
  schedules,
  releaseCheckDelaysMs,
  now,
  logger,
}: ReleaseDeps) => {
  const source = LAUNCHER_SOURCES.rds;

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

  /** Schedules the check after `attempt` (0: the first); false when the delays are used up. */
  const scheduleCheck = async (requestId: string, attempt: number): Promise<boolean> => {
    const next = nextReleaseCheck(requestId, "rds", attempt, releaseCheckDelaysMs, now());
    if (!next) return false;
    await scheduleReleaseCheck(schedules, next);
    return true;
  };

  const settle = async (requestId: string, publishOutcome: () => Promise<string[]>) => {
    const { ran } = await store.publishOnce(requestId, "release-outcome", publishOutcome);
    await store.markReleaseSettled(requestId, now());
    return ran;
  };

  /** The instance is gone: the release is done, once. */
  const released = async (requestId: string, release: ReleaseRecord): Promise<void> => {
    const { request, resource, action, reason, by, finalSnapshotIdentifier } = release;
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
          ...(finalSnapshotIdentifier && { finalSnapshotIdentifier }),
          releasedAt: now().toISOString(),
        },
        { source },
      ),
    );
    logger.info(ran ? "DB instance released" : "Release already reported", {
      requestId,
      dbInstanceIdentifier: resource.dbInstanceIdentifier,
    });
  };

  /** The instance is still there after the last check: the release failed, once. */
  const failed = async (
    requestId: string,
    release: ReleaseRecord,
    problem: string,
    attempts: number,
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
          kept: false,
          attempts,
          failedAt: now().toISOString(),
        },
        { source },
      ),
    );
    if (ran) logger.error("The DB instance could not be released", { requestId, problem });
  };

  return { deleteInstance, scheduleCheck, released, failed };
};
