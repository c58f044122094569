import { env, loadConfig } from "../shared/config.ts";
import { loadDeploymentName } from "../shared/deployment-tag.ts";
import { loadReleaseCheckDelays } from "../shared/lease-settings.ts";
import type { CreationSettings } from "./domain.ts";
import { creationsTable, idempotencyTable } from "./tables.ts";

const config = loadConfig({
  [creationsTable.tableNameEnv]: env.text(),
  [idempotencyTable.tableNameEnv]: env.text(),
  // Lambda's own region, the stack's: where a request that names no region is created.
  AWS_REGION: env.text(),
  DB_SUBNET_GROUP_NAME: env.text().optional(),
  DB_SECURITY_GROUP_IDS: env.list().optional(),
});

export const tableNames = {
  creations: config[creationsTable.tableNameEnv],
  idempotency: config[idempotencyTable.tableNameEnv],
};

export const creationSettings: CreationSettings = {
  homeRegion: config.AWS_REGION,
  dbSubnetGroupName: config.DB_SUBNET_GROUP_NAME,
  dbSecurityGroupIds: config.DB_SECURITY_GROUP_IDS ?? [],
  deploymentName: loadDeploymentName(),
};

/** How long the reaper waits before each check of a release (RELEASE_CHECK_DELAYS). */
export const releaseCheckDelaysMs = loadReleaseCheckDelays();
