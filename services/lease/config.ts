import { regionSchema } from "../../events/region.ts";
import { env, loadConfig } from "../shared/config.ts";
import { loadLeaseLimits, loadLeaseReminders } from "../shared/lease-settings.ts";
import { leasesTable } from "./tables.ts";

const config = loadConfig({
  [leasesTable.tableNameEnv]: env.text(),
  // Lambda sets it to the function's own region, as the local runtime does to the stack's: where the
  // launchers put a resource whose request names no region.
  AWS_REGION: regionSchema,
});

export const leasesTableName = config[leasesTable.tableNameEnv];

export const stackRegion = config.AWS_REGION;

/** LEASE_DEFAULT, LEASE_MIN and LEASE_MAX, checked against each other. */
export const leaseLimits = loadLeaseLimits();

/** LEASE_REMINDERS, in milliseconds before the end, longest first. */
export const reminderOffsetsMs = loadLeaseReminders();
