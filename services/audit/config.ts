import { env, loadConfig } from "../shared/config.ts";
import { auditAggregatesTable, auditRequestsTable, auditTimelineTable } from "./tables.ts";

export const config = loadConfig({
  [auditRequestsTable.tableNameEnv]: env.text(),
  [auditTimelineTable.tableNameEnv]: env.text(),
  [auditAggregatesTable.tableNameEnv]: env.text(),
});
