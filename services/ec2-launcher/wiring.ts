import type { Logger } from "@aws-lambda-powertools/logger";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { publisher } from "../shared/events.ts";
import { createSchedules, loadScheduleSettings } from "../shared/schedules.ts";
import { releaseCheckDelays } from "./config.ts";
import { ec2Gateway } from "./ec2.ts";
import { createReaper } from "./reaper.ts";
import { launchStore } from "./store.ts";

/**
 * The reaper's checks as EventBridge Scheduler schedules, in the group `needs.schedules` gives the
 * launcher's functions; locally the edge's Scheduler, through the SDK's endpoint resolution.
 */
const schedules = createSchedules({
  client: new SchedulerClient({}),
  settings: loadScheduleSettings(),
});

/** The reaper of the handlers that release, logging through the handler's own logger. */
export const reaperLoggingTo = (logger: Logger) =>
  createReaper({
    store: launchStore,
    ec2: ec2Gateway,
    schedules,
    releaseCheckDelays,
    publish: publisher.publish,
    now: () => new Date(),
    logger,
  });
