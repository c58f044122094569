import type { Logger } from "@aws-lambda-powertools/logger";
import type { DetailOf } from "../../events/contract.ts";
import type { ReleaseRequested } from "../../events/lease-events.ts";
import { publisher } from "./events.ts";
import type { ReaperDeps, RecordedRelease, ReleaseReportStore } from "./release-checks.ts";
import { deployedSchedules } from "./schedules.ts";

/** What a launcher records of a release, before it is numbered and settled. */
export type AskedRelease<R extends RecordedRelease> = Omit<R, "n" | "settledAt" | "failedAt">;

/** What every launcher's ReleaseRequested handler works with. */
export interface ReleaseRequestedSteps<
  Detail extends DetailOf<typeof ReleaseRequested>,
  R extends RecordedRelease,
> {
  store: { recordRelease: (requestId: string, asked: AskedRelease<R>) => Promise<R> };
  /** The launcher's own fields of a release, beside what its ReleaseRequested asked (RDS's final snapshot). */
  ownFieldsOf?: (detail: Detail) => Omit<AskedRelease<R>, keyof RecordedRelease>;
  /** Starts the release recorded: schedules its first check, then stops, terminates or deletes. */
  start: (requestId: string, release: R) => Promise<void>;
  logger: Logger;
}

/**
 * The ReleaseRequested handler of every launcher: records the release (the first one asked sticks,
 * until it fails: then a later one is a new release, services/shared/release-checks.ts) and starts it.
 * A redelivery, or another release asked meanwhile, starts the recorded one again while it is under
 * way (each step is safe to repeat) and does nothing once it is settled.
 */
export const releaseRequestedHandler =
  <Detail extends DetailOf<typeof ReleaseRequested>, R extends RecordedRelease>({
    store,
    ownFieldsOf,
    start,
    logger,
  }: ReleaseRequestedSteps<Detail, R>) =>
  async (detail: Detail): Promise<void> => {
    const { requestId, request, resource, action, reason, by, requestedAt } = detail;
    const asked = {
      request,
      resource,
      action,
      reason,
      ...(by && { by }),
      requestedAt,
      ...ownFieldsOf?.(detail),
    } as AskedRelease<R>;
    const release = await store.recordRelease(requestId, asked);
    if (release.settledAt) {
      logger.info("Release already settled; redelivery ignored", { requestId });
      return;
    }
    if (release.requestedAt !== requestedAt)
      logger.info("Released already as an earlier request asked", { requestId });
    await start(requestId, release);
  };

/** The reaper's deployed dependencies: the launcher's store and delays, the bus, Scheduler and the clock. */
export const deployedReaperDeps = <Store extends ReleaseReportStore>(
  store: Store,
  releaseCheckDelaysMs: readonly number[],
  logger: Logger,
): ReaperDeps<Store> => ({
  store,
  publish: publisher.publish,
  schedules: deployedSchedules(),
  releaseCheckDelaysMs,
  now: () => new Date(),
  logger,
});
