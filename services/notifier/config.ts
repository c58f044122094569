import { env, loadConfig } from "../shared/config.ts";
import { idempotencyTable } from "./tables.ts";

const config = loadConfig({ PUBLIC_URL: env.url(), [idempotencyTable.tableNameEnv]: env.text() });

export const idempotencyTableName = config[idempotencyTable.tableNameEnv];

/** The portal, which the lease reminders link to. */
export const publicUrl = config.PUBLIC_URL;
