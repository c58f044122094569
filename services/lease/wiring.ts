import { Logger } from "@aws-lambda-powertools/logger";
import { publisher } from "../shared/events.ts";
import { deployedSchedules } from "../shared/schedules.ts";
import { leasesTableName } from "./config.ts";
import { createOutboxPublisher } from "./outbox.ts";
import { createLeaseStore } from "./store.ts";

/**
 * What every function of the lease service shares: its table, and its outbox done through the bus and
 * EventBridge Scheduler (the schedule group `needs.schedules` gives it; locally the edge's Scheduler).
 */
export const store = createLeaseStore(leasesTableName);

export const now = () => new Date();

export const publishOwed = createOutboxPublisher({
  publisher,
  schedules: deployedSchedules(),
  store,
  now,
  logger: new Logger({ serviceName: "lease" }),
});
