import { z } from "zod";
import { regionSchema } from "../../events/region.ts";
import { ConfigError, env, loadConfig } from "../shared/config.ts";
import { loadLeaseLimits } from "../shared/lease-settings.ts";
import type { IntakeRules } from "./domain.ts";

const DEFAULT_REGION = "us-east-1";

const rulesShape = {
  ALLOWED_REGIONS: env
    .list()
    .pipe(z.array(regionSchema).min(1, "must name at least one region"))
    .default([DEFAULT_REGION]),
  DEFAULT_REGION: regionSchema.default(DEFAULT_REGION),
  BUCKET_NAME_PREFIX: env.text().optional(),
  // Unset or empty: any subnet.
  ALLOWED_SUBNET_IDS: env.list().optional(),
};

/**
 * The operator's rules on what a request may ask for beyond the contract, from the settings: where
 * (ALLOWED_REGIONS, DEFAULT_REGION, one of them), into which subnets (ALLOWED_SUBNET_IDS), how buckets
 * are named (BUCKET_NAME_PREFIX) and how long a lease may be (LEASE_MIN, LEASE_MAX; read with
 * LEASE_DEFAULT, which must lie between them). The local runtime checks its settings with this too,
 * before anything starts.
 */
export const intakeRulesOf = (environment: Record<string, string | undefined>): IntakeRules => {
  const settings = loadConfig(rulesShape, environment);
  if (!settings.ALLOWED_REGIONS.includes(settings.DEFAULT_REGION)) {
    throw new ConfigError(
      `Invalid configuration: DEFAULT_REGION ${settings.DEFAULT_REGION} must be one of ALLOWED_REGIONS (${settings.ALLOWED_REGIONS.join(", ")})`,
    );
  }
  const { min, max } = loadLeaseLimits(environment);
  return {
    allowedRegions: settings.ALLOWED_REGIONS,
    defaultRegion: settings.DEFAULT_REGION,
    ...(settings.BUCKET_NAME_PREFIX && { bucketNamePrefix: settings.BUCKET_NAME_PREFIX }),
    ...(settings.ALLOWED_SUBNET_IDS?.length && { allowedSubnetIds: settings.ALLOWED_SUBNET_IDS }),
    lease: { min, max },
  };
};
