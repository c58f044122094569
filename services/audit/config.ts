import { env, loadConfig } from "../shared/config.ts";
import { auditRequestsTable, auditTimelineTable } from "./tables.ts";

export const config = loadConfig({
  [auditRequestsTable.tableNameEnv]: env.text(),
  [auditTimelineTable.tableNameEnv]: env.text(),
});
