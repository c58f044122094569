import { env, loadConfig } from "../shared/config.ts";
import { idempotencyTable } from "./tables.ts";

const config = loadConfig({ [idempotencyTable.tableNameEnv]: env.text() });

export const idempotencyTableName = config[idempotencyTable.tableNameEnv];
