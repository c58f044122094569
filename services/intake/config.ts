import { env, loadConfig } from "../shared/config.ts";
import { intakeRulesOf } from "./rules.ts";
import { idempotencyTable, requestsTable } from "./tables.ts";

const config = loadConfig({
  [requestsTable.tableNameEnv]: env.text(),
  [idempotencyTable.tableNameEnv]: env.text(),
});

export const tableNames = {
  requests: config[requestsTable.tableNameEnv],
  idempotency: config[idempotencyTable.tableNameEnv],
};

export const intakeRules = intakeRulesOf(process.env);
