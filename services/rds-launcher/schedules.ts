import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { createSchedules, loadScheduleSettings } from "../shared/schedules.ts";

/**
 * The reaper's checks as EventBridge Scheduler schedules, in the group `needs.schedules` gives the
 * launcher's functions; locally the edge's Scheduler, through the SDK's endpoint resolution.
 */
export const schedules = createSchedules({
  client: new SchedulerClient({}),
  settings: loadScheduleSettings(),
});
