import { env, loadConfig } from "../shared/config.ts";
import { rejectionsTable, requestsTable } from "./tables.ts";

const config = loadConfig({
  [requestsTable.tableNameEnv]: env.text(),
  [rejectionsTable.tableNameEnv]: env.text(),
});

export const tableNames = {
  requests: config[requestsTable.tableNameEnv],
  rejections: config[rejectionsTable.tableNameEnv],
};
