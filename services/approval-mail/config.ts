import { env, loadConfig } from "../shared/config.ts";
import { idempotencyTable, mailingsTable } from "./tables.ts";

export const config = loadConfig({
  PUBLIC_URL: env.url(),
  DECISIONS_REQUIRE_SIGN_IN: env.flag(),
  [mailingsTable.tableNameEnv]: env.text(),
  [idempotencyTable.tableNameEnv]: env.text(),
});

export const mailingsTableName = config[mailingsTable.tableNameEnv];
export const idempotencyTableName = config[idempotencyTable.tableNameEnv];
