import { env, loadConfig } from "../shared/config.ts";
import { loadLeaseLimits } from "../shared/lease-settings.ts";
import { approvalsTable } from "./tables.ts";

export const config = loadConfig({
  PUBLIC_URL: env.url(),
  /** How long an approval waits when its policy sets no `expiresAfter`. */
  APPROVAL_TTL_SECONDS: env.positiveInt(),
  /** Links then decide only in the portal, signed in as the approver each was sent to. */
  DECISIONS_REQUIRE_SIGN_IN: env.flag(),
  [approvalsTable.tableNameEnv]: env.text(),
});

export const approvalsTableName = config[approvalsTable.tableNameEnv];

/** LEASE_DEFAULT, LEASE_MIN and LEASE_MAX: the bounds every policy settles a request's lease within. */
export const leaseLimits = loadLeaseLimits();
