import { env, loadConfig } from "../shared/config.ts";
import { loadDeploymentName } from "../shared/deployment-tag.ts";
import { loadReleaseCheckDelays } from "../shared/lease-settings.ts";
import { bucketsTable, idempotencyTable, leasesTable } from "./tables.ts";

const config = loadConfig({
  [bucketsTable.tableNameEnv]: env.text(),
  [leasesTable.tableNameEnv]: env.text(),
  [idempotencyTable.tableNameEnv]: env.text(),
  AWS_REGION: env.text(),
  AWS_ENDPOINT_URL: env.url().optional(),
});

export const tableNames = {
  buckets: config[bucketsTable.tableNameEnv],
  leases: config[leasesTable.tableNameEnv],
  idempotency: config[idempotencyTable.tableNameEnv],
};

/** Where requests that name no region create their bucket: the stack's own region. */
export const homeRegion = config.AWS_REGION;

/** What the buckets it creates are tagged with as the deployment's (DEPLOYMENT_NAME). */
export const deploymentName = loadDeploymentName();

/**
 * An endpoint of its own (the local edge) serves buckets on its path: S3's usual `<bucket>.<host>`
 * addressing would need a DNS name per bucket, which a local host does not have.
 */
export const s3ClientSettings = { forcePathStyle: config.AWS_ENDPOINT_URL !== undefined };

/** How long the reaper waits before each check of a release (RELEASE_CHECK_DELAYS). */
export const releaseCheckDelaysMs = loadReleaseCheckDelays();
