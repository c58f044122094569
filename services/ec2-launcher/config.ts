import { env, loadConfig } from "../shared/config.ts";
import type { LaunchSettings } from "./domain.ts";
import { launchesTable } from "./tables.ts";

const config = loadConfig({
  [launchesTable.tableNameEnv]: env.text(),
  AMI_ID: env.text(),
  SECURITY_GROUP_IDS: env.list().optional(),
  DEFAULT_SUBNET_ID: env.text().optional(),
});

export const launchesTableName = config[launchesTable.tableNameEnv];

export const launchSettings: LaunchSettings = {
  imageId: config.AMI_ID,
  securityGroupIds: config.SECURITY_GROUP_IDS ?? [],
  defaultSubnetId: config.DEFAULT_SUBNET_ID,
};
