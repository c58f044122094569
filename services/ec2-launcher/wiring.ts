import type { Logger } from "@aws-lambda-powertools/logger";
import { publisher } from "../shared/events.ts";
import { deployedSchedules } from "../shared/schedules.ts";
import { releaseCheckDelaysMs } from "./config.ts";
import { ec2Gateway } from "./ec2.ts";
import { createReaper } from "./reaper.ts";
import { launchStore } from "./store.ts";

/** The reaper of the handlers that release, logging through the handler's own logger. */
export const reaperLoggingTo = (logger: Logger) =>
  createReaper({
    store: launchStore,
    ec2: ec2Gateway,
    schedules: deployedSchedules(),
    releaseCheckDelaysMs,
    publish: publisher.publish,
    now: () => new Date(),
    logger,
  });
