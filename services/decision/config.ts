import { env, loadConfig } from "../shared/config.ts";
import { approvalsTable } from "./tables.ts";

export const config = loadConfig({
  PUBLIC_URL: env.url(),
  [approvalsTable.tableNameEnv]: env.text(),
});

export const approvalsTableName = config[approvalsTable.tableNameEnv];
