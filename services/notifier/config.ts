import { env, loadConfig } from "../shared/config.ts";
import { notificationsTable } from "./tables.ts";

const config = loadConfig({ [notificationsTable.tableNameEnv]: env.text() });

export const notificationsTableName = config[notificationsTable.tableNameEnv];
