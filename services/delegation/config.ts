import { env, loadConfig } from "../shared/config.ts";
import { delegationsTable } from "./tables.ts";

export const config = loadConfig({
  [delegationsTable.tableNameEnv]: env.text(),
});
