import {
  type ReaperDeps as CommonReaperDeps,
  createReleaseSteps,
  type ReleaseCheck,
} from "../shared/release-checks.ts";
import type { Ec2Gateway } from "./ec2.ts";
import { releaseCheckStep, releaseFailedProblem } from "./release.ts";
import type { LaunchStore, ReleaseRecord } from "./store.ts";

export interface ReaperDeps extends CommonReaperDeps<LaunchStore> {
  ec2: Ec2Gateway;
}

/**
 * The launcher's side of a release (services/shared/release-checks.ts): `act` stops or terminates the
 * instance and has the first check scheduled; `check` looks at the instance as EC2 describes it and
 * reports the release done, waits for it, or acts again, until the delays are used up and the release
 * fails. Each report is published once per release, however often a check is delivered.
 */
export const createReaper = (deps: ReaperDeps) => {
  const { store, ec2, logger } = deps;
  const { scheduleCheck, ...reports } = createReleaseSteps("ec2", deps);

  /** Stops or terminates the instance as the release asks, then has it checked. Safe to repeat. */
  const act = async (requestId: string, { resource, action }: ReleaseRecord): Promise<void> => {
    await ec2.releaseInstance(resource.region, resource.instanceId, action);
    // RELEASE_CHECK_DELAYS names at least one delay (lease-settings.ts), so there always is a first check.
    await scheduleCheck(requestId, 0);
    logger.info("Instance released; first check scheduled", { requestId, action, ...resource });
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
    await store.recordReleaseCheck(requestId, attempt);
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
    if (step.kind === "act-again") {
      logger.warn("Released instance still up; releasing it again", {
        requestId,
        state: step.state,
        attempt,
      });
      await ec2.releaseInstance(resource.region, resource.instanceId, action);
    }
    if (await scheduleCheck(requestId, attempt)) return;
    const ran = await reports.failed(requestId, release, {
      problem: releaseFailedProblem(resource.instanceId, action, step, attempt),
      kept: false,
      attempts: attempt,
    });
    logger.error(ran ? "Release failed after its last check" : "Release outcome already reported", {
      requestId,
      state: step.state,
      attempts: attempt,
    });
  };

  return { act, check };
};

export type Reaper = ReturnType<typeof createReaper>;
