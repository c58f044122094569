import { env, loadConfig } from "../shared/config.ts";
import { imageOverridesSchema, imagesWith, type LaunchSettings } from "./domain.ts";
import { idempotencyTable, launchesTable } from "./tables.ts";

const config = loadConfig({
  [launchesTable.tableNameEnv]: env.text(),
  [idempotencyTable.tableNameEnv]: env.text(),
  IMAGE_IDS: imageOverridesSchema.optional(),
  SECURITY_GROUP_IDS: env.list().optional(),
  DEFAULT_SUBNET_ID: env.text().optional(),
});

export const tableNames = {
  launches: config[launchesTable.tableNameEnv],
  idempotency: config[idempotencyTable.tableNameEnv],
};

export const launchSettings: LaunchSettings = {
  images: imagesWith(config.IMAGE_IDS ?? {}),
  securityGroupIds: config.SECURITY_GROUP_IDS ?? [],
  defaultSubnetId: config.DEFAULT_SUBNET_ID,
};
