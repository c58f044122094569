import type { DetailOf } from "../../events/contract.ts";
import { ReleaseCheckDue } from "../../events/lease-events.ts";
import { LAUNCHER_SOURCES } from "../../events/launched-resource.ts";
import type { ResourceType } from "../../events/request.ts";
import { type Schedules, scheduleNameFor } from "./schedules.ts";

/**
 * The launchers' reaper: after a launcher acts on a release it does not take the call's word for it,
 * but looks again (a describe) after each of RELEASE_CHECK_DELAYS in turn, through one-time
 * EventBridge Scheduler schedules, so a restart loses no check. A check that finds the resource gone
 * reports it released; one that finds it still running releases it again and waits for the next; after
 * the last, the release fails (ReleaseFailed, and the operators are mailed).
 */

export type ReleaseCheck = DetailOf<typeof ReleaseCheckDue>;

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
export const scheduleReleaseCheck = (schedules: Schedules, check: ReleaseCheck): Promise<string> =>
  schedules.scheduleOnce({
    name: scheduleNameFor(check.requestId, `release-check-${check.attempt}`),
    at: new Date(check.dueAt),
    contract: ReleaseCheckDue,
    detail: check,
    source: LAUNCHER_SOURCES[check.resourceType],
  });
