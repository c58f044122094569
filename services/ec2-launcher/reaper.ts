import {
  type ReaperDeps as CommonReaperDeps,
  createReleaseSteps,
  type ReleaseCheck,
} from "../shared/release-checks.ts";
import type { Ec2Request } from "./domain.ts";
import { type Ec2Gateway, ec2FailureOf } from "./ec2.ts";
import {
  type Ec2LeasedResource,
  isReleaseRefusal,
  releaseCheckStep,
  releaseFailedProblem,
  releaseRefusalReason,
} from "./release.ts";
import type { LaunchStore, ReleaseRecord } from "./store.ts";

export interface ReaperDeps extends CommonReaperDeps<LaunchStore> {
  ec2: Ec2Gateway;
}

/**
 * The launcher's side of a release (services/shared/release-checks.ts): `start` has the first check
 * scheduled, then stops or terminates the instance; `check` looks at the instance as EC2 describes it
 * and reports the release done, waits for it, or acts again, until the delays are used up and the
 * release fails. Each report is published once per release, however often a check is delivered.
 */
export const createReaper = (deps: ReaperDeps) => {
  const { store, ec2, logger } = deps;
  const { scheduleCheck, ...reports } = createReleaseSteps("ec2", deps);

  /**
   * Stops or terminates the instance as the release asks. A refusal that asking again will not change
   * (protection, permissions) is kept for the ReleaseFailed and resolved; anything else throws, for the
   * bus to retry. Safe to repeat.
   */
  const releaseInstance = async (
    requestId: string,
    { resource, action }: ReleaseRecord,
  ): Promise<string | undefined> => {
    try {
      await ec2.releaseInstance(resource.region, resource.instanceId, action);
      return undefined;
    } catch (error) {
      const failure = ec2FailureOf(error);
      if (!isReleaseRefusal(failure)) throw error;
      const refusal = releaseRefusalReason(failure, action);
      logger.warn("EC2 refused the release", { requestId, ...resource, errorCode: failure.code });
      await store.recordReleaseRefusal(requestId, refusal);
      return refusal;
    }
  };

  /**
   * Starts a release: the first check scheduled first (RELEASE_CHECK_DELAYS names at least one delay,
   * lease-settings.ts), so that whatever EC2 answers, the reaper looks.
   */
  const start = async (requestId: string, release: ReleaseRecord): Promise<void> => {
    await scheduleCheck(requestId, 0);
    await releaseInstance(requestId, release);
    logger.info("Instance released; first check scheduled", {
      requestId,
      action: release.action,
      ...release.resource,
    });
  };

  /** Stops again an instance started after its `stop` release took, as a release of its own. */
  const stopAgain = async (requestId: string, settled: ReleaseRecord): Promise<void> => {
    await start(requestId, await store.recordStopAgain(requestId, settled));
  };

  /** The instance was terminated outside this tool while its lease ran: reported released, once. */
  const endedOutside = async (
    requestId: string,
    request: Ec2Request,
    resource: Ec2LeasedResource,
  ): Promise<void> => {
    const ran = await reports.endedOutside(
      requestId,
      { request, resource, action: "terminate" },
      "terminated",
    );
    if (ran)
      logger.warn("Instance terminated outside this tool while its lease ran", { requestId, ...resource });
  };

  const check = async ({
    requestId,
    attempt,
  }: Pick<ReleaseCheck, "requestId" | "attempt">): Promise<void> => {
    const release = (await store.get(requestId))?.release;
    if (!release) {
      logger.warn("Check of a release never recorded; ignored", { requestId, attempt });
      return;
    }
    const { resource, action } = release;
    const instance = await ec2.describeInstance(resource.region, resource.instanceId);
    const step = releaseCheckStep(action, instance?.state);
    if (step.kind === "released") {
      const ran = await reports.released(requestId, release, { outcome: step.outcome });
      logger.info(ran ? "Release confirmed" : "Release already reported; check ignored", {
        requestId,
        outcome: step.outcome,
      });
      return;
    }
    let refusal = release.refusal;
    if (step.kind === "act-again") {
      logger.warn("Released instance still up; releasing it again", {
        requestId,
        state: step.state,
        attempt,
      });
      refusal = (await releaseInstance(requestId, release)) ?? refusal;
    }
    if (await scheduleCheck(requestId, attempt)) return;
    const ran = await reports.failed(requestId, release, {
      problem: releaseFailedProblem(resource.instanceId, action, step, attempt, refusal),
      kept: false,
      attempts: attempt,
    });
    logger.error(ran ? "Release failed after its last check" : "Release outcome already reported", {
      requestId,
      state: step.state,
      attempts: attempt,
    });
  };

  return { start, stopAgain, endedOutside, check };
};

export type Reaper = ReturnType<typeof createReaper>;
