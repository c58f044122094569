import type { Logger } from "@aws-lambda-powertools/logger";
import { ReleaseFailed, ResourceReleased } from "../../events/lease-events.ts";
import type { Publisher } from "../../events/publish.ts";
import { nextReleaseCheck, type ReleaseCheck, scheduleReleaseCheck } from "../shared/release-checks.ts";
import type { Schedules } from "../shared/schedules.ts";
import type { Ec2Gateway } from "./ec2.ts";
import { releaseCheckStep, releaseFailedProblem } from "./release.ts";
import type { LaunchStore, ReleaseRecord } from "./store.ts";

export interface ReaperDeps {
  store: LaunchStore;
  ec2: Ec2Gateway;
  schedules: Schedules;
  /** RELEASE_CHECK_DELAYS, in milliseconds: at least one. */
  releaseCheckDelays: readonly number[];
  publish: Publisher["publish"];
  now: () => Date;
  logger: Logger;
}

/**
 * The launcher's side of a release (services/shared/release-checks.ts): `act` stops or terminates the
 * instance and has the first check scheduled; `check` looks at the instance as EC2 describes it and
 * reports the release done, waits for it, or acts again, until the delays are used up and the release
 * fails. Each report is published once per request, however often a check is delivered.
 */
export const createReaper = ({
  store,
  ec2,
  schedules,
  releaseCheckDelays,
  publish,
  now,
  logger,
}: ReaperDeps) => {
  /** Schedules the check after the one at `attempt` (0: after acting); false when the delays are used up. */
  const scheduleCheckAfter = async (requestId: string, attempt: number): Promise<boolean> => {
    const next = nextReleaseCheck(requestId, "ec2", attempt, releaseCheckDelays, now());
    if (next) await scheduleReleaseCheck(schedules, next);
    return next !== undefined;
  };

  /** Stops or terminates the instance as the release asks, then has it checked. Safe to repeat. */
  const act = async (requestId: string, { resource, action }: ReleaseRecord): Promise<void> => {
    await ec2.releaseInstance(resource.region, resource.instanceId, action);
    // RELEASE_CHECK_DELAYS names at least one delay (lease-settings.ts), so there always is a first check.
    await scheduleCheckAfter(requestId, 0);
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
    const { request, resource, action, reason, by } = release;
    const instance = await ec2.describeInstance(resource.region, resource.instanceId);
    const step = releaseCheckStep(action, instance?.state);
    if (step.kind === "released") {
      const { ran } = await store.publishOnce(requestId, "release-outcome", () =>
        publish(ResourceReleased, {
          requestId,
          request,
          resource,
          action,
          outcome: step.outcome,
          reason,
          by,
          releasedAt: now().toISOString(),
        }),
      );
      await store.recordReleased(requestId, step.outcome);
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
    if (await scheduleCheckAfter(requestId, attempt)) return;
    const { ran } = await store.publishOnce(requestId, "release-outcome", () =>
      publish(ReleaseFailed, {
        requestId,
        request,
        resource,
        action,
        reason,
        problem: releaseFailedProblem(resource.instanceId, action, step, attempt),
        kept: false,
        attempts: attempt,
        failedAt: now().toISOString(),
      }),
    );
    logger.error(ran ? "Release failed after its last check" : "Release outcome already reported", {
      requestId,
      state: step.state,
      attempts: attempt,
    });
  };

  return { act, check };
};

export type Reaper = ReturnType<typeof createReaper>;
