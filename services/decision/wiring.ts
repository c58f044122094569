import { deployedSchedules } from "../shared/schedules.ts";

/**
 * The approvals' timers (timers.ts) as EventBridge Scheduler schedules, in the group `needs.schedules`
 * gives decision's functions; locally the edge's Scheduler, through the SDK's endpoint resolution.
 */
export const schedules = deployedSchedules();
