import { regionSchema } from "../../events/region.ts";
import { env, loadConfig } from "../shared/config.ts";
import { loadDeploymentName } from "../shared/deployment-tag.ts";
import { loadReleaseCheckDelays } from "../shared/lease-settings.ts";
import { imageOverridesSchema, imagesWith, type LaunchSettings } from "./domain.ts";
import { idempotencyTable, launchesTable } from "./tables.ts";

const config = loadConfig({
  [launchesTable.tableNameEnv]: env.text(),
  [idempotencyTable.tableNameEnv]: env.text(),
  // Lambda sets it to the function's own region, as the local runtime does to the stack's.
  AWS_REGION: regionSchema,
  IMAGE_IDS: imageOverridesSchema.optional(),
  SECURITY_GROUP_IDS: env.list().optional(),
  DEFAULT_SUBNET_ID: env.text().optional(),
  ALLOWED_SUBNET_IDS: env.list().optional(),
});

export const tableNames = {
  launches: config[launchesTable.tableNameEnv],
  idempotency: config[idempotencyTable.tableNameEnv],
};

export const launchSettings: LaunchSettings = {
  images: imagesWith(config.IMAGE_IDS ?? {}),
  regionalImages: config.IMAGE_IDS?.regions ?? {},
  stackRegion: config.AWS_REGION,
  securityGroupIds: config.SECURITY_GROUP_IDS ?? [],
  defaultSubnetId: config.DEFAULT_SUBNET_ID,
  allowedSubnetIds: config.ALLOWED_SUBNET_IDS ?? [],
  deploymentName: loadDeploymentName(),
};

/** How long the reaper waits before each check of a release (RELEASE_CHECK_DELAYS). */
export const releaseCheckDelaysMs = loadReleaseCheckDelays();
