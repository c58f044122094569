import { approvalsTable } from "../decision/tables.ts";
import { env, loadConfig } from "../shared/config.ts";

export const config = loadConfig({
  APPROVERS: env.emailList(),
  APPROVAL_TTL_SECONDS: env.positiveInt(),
  PUBLIC_URL: env.url(),
  [approvalsTable.tableNameEnv]: env.text(),
});

/** approval-mail writes the decision service's table: it creates the items decisions are made on. */
export const approvalsTableName = config[approvalsTable.tableNameEnv];
