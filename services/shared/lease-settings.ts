import { z } from "zod";
import { parseDuration } from "../../events/duration.ts";
import { leaseDurationSchema } from "../../events/lease-duration.ts";
import type { LeaseLimits } from "../../policy/lease.ts";
import { env, loadConfig } from "./config.ts";

/**
 * The deployment's lease settings (docs/LEASES.md), read by the services that need them, with the
 * same defaults on AWS and locally: every lease between LEASE_MIN and LEASE_MAX, LEASE_DEFAULT when a
 * request and its policy name none; reminders LEASE_REMINDERS before the end; the launchers' reaper
 * checks a release after each of RELEASE_CHECK_DELAYS in turn, then gives up.
 */
export const LEASE_SETTING_DEFAULTS = {
  LEASE_DEFAULT: "P7D",
  LEASE_MIN: "PT1H",
  LEASE_MAX: "P90D",
  LEASE_REMINDERS: "P3D,P1D,PT2H",
  RELEASE_CHECK_DELAYS: "PT30S,PT1M,PT2M,PT5M,PT10M,PT30M",
} as const;

/** Comma-separated ISO 8601 durations, as milliseconds in the order written. */
export const durationListSetting = () =>
  env
    .list()
    .pipe(z.array(leaseDurationSchema).min(1, "must name at least one duration"))
    .transform((items) => items.map(parseDuration));

export const loadLeaseLimits = (
  environment: Record<string, string | undefined> = process.env,
): LeaseLimits => {
  const { LEASE_DEFAULT, LEASE_MIN, LEASE_MAX } = loadConfig(
    {
      LEASE_DEFAULT: leaseDurationSchema.prefault(LEASE_SETTING_DEFAULTS.LEASE_DEFAULT),
      LEASE_MIN: leaseDurationSchema.prefault(LEASE_SETTING_DEFAULTS.LEASE_MIN),
      LEASE_MAX: leaseDurationSchema.prefault(LEASE_SETTING_DEFAULTS.LEASE_MAX),
    },
    environment,
  );
  const [min, max, byDefault] = [LEASE_MIN, LEASE_MAX, LEASE_DEFAULT].map(parseDuration) as [
    number,
    number,
    number,
  ];
  if (min > max)
    throw new LeaseSettingsError(`LEASE_MIN ${LEASE_MIN} must not be longer than LEASE_MAX ${LEASE_MAX}`);
  if (byDefault < min || byDefault > max) {
    throw new LeaseSettingsError(
      `LEASE_DEFAULT ${LEASE_DEFAULT} must be from LEASE_MIN ${LEASE_MIN} to LEASE_MAX ${LEASE_MAX}`,
    );
  }
  return { default: LEASE_DEFAULT, min: LEASE_MIN, max: LEASE_MAX };
};

export class LeaseSettingsError extends Error {
  override readonly name = "LeaseSettingsError";
}

/** How long before a lease's end each reminder goes out, longest first. */
export const loadLeaseReminders = (environment: Record<string, string | undefined> = process.env): number[] =>
  loadConfig(
    { LEASE_REMINDERS: durationListSetting().prefault(LEASE_SETTING_DEFAULTS.LEASE_REMINDERS) },
    environment,
  ).LEASE_REMINDERS.sort((a, b) => b - a);

/** How long the reaper waits before each check of a release, in order (milliseconds). */
export const loadReleaseCheckDelays = (
  environment: Record<string, string | undefined> = process.env,
): number[] =>
  loadConfig(
    { RELEASE_CHECK_DELAYS: durationListSetting().prefault(LEASE_SETTING_DEFAULTS.RELEASE_CHECK_DELAYS) },
    environment,
  ).RELEASE_CHECK_DELAYS;
