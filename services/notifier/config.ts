import { env, loadConfig } from "../shared/config.ts";
import { idempotencyTable, suppressionsTable } from "./tables.ts";

const config = loadConfig({
  PUBLIC_URL: env.url(),
  [idempotencyTable.tableNameEnv]: env.text(),
  [suppressionsTable.tableNameEnv]: env.text(),
});

export const idempotencyTableName = config[idempotencyTable.tableNameEnv];
export const suppressionsTableName = config[suppressionsTable.tableNameEnv];

/** The portal, which the lease reminders link to. */
export const publicUrl = config.PUBLIC_URL;
