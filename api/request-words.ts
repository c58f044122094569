import type { CostEstimate, CostPart } from "../events/cost-estimate.ts";
import { parseDuration } from "../events/duration.ts";
import type { EndAction, LeasedResource, LeaseTerms } from "../events/lease.ts";
import type { RdsEngine } from "../events/rds-resource.ts";
import type { Resource } from "../events/request.ts";
import type { S3Encryption } from "../events/s3-resource.ts";

/**
 * A request's resource and cost estimate in words people read. The emails, the decision pages, the
 * CLI and the portal all say them the same way, so the words live beside the HTTP contract, where
 * the portal may import them too.
 */

/** One fact of a request, as a label and its value. */
export interface DetailRow {
  label: string;
  value: string;
}

const ENGINE_NAMES: Record<RdsEngine, string> = { postgres: "PostgreSQL", mysql: "MySQL" };

export const ENCRYPTION_WORDS: Record<S3Encryption, string> = {
  "sse-s3": "SSE-S3 (keys managed by S3)",
  "sse-kms": "SSE-KMS (the AWS managed KMS key)",
};

/** e.g. "EC2 t3.micro (ubuntu-24.04)", "RDS PostgreSQL 16.8 db.t4g.micro", "S3 bucket team-logs". */
export const resourceInWords = (resource: Resource): string => {
  switch (resource.type) {
    case "ec2":
      return `EC2 ${resource.instanceType} (${resource.os})`;
    case "rds":
      // Without a version RDS picks its current default for the engine, so there is none to name.
      return ["RDS", ENGINE_NAMES[resource.engine], resource.engineVersion, resource.instanceClass]
        .filter(Boolean)
        .join(" ");
    case "s3":
      return `S3 bucket ${resource.bucketName}`;
  }
};

/** What is done to a resource at the end of its lease (or on an early release), as a verb: "terminate". */
export const END_ACTION_WORDS = {
  terminate: "terminate",
  stop: "stop",
  "snapshot-and-delete": "delete after a final snapshot",
  "delete-without-snapshot": "delete without a snapshot",
  "delete-if-empty": "delete if empty",
} as const satisfies Record<EndAction, string>;

const daysInWords = (days: number): string => (days === 1 ? "1 day" : `${days} days`);

/** The facts of the resource beyond its one-line name, one row each, leaving out what it does not ask for. */
export const resourceDetailRows = (resource: Resource): DetailRow[] => {
  const rows: (DetailRow | false)[] = [];
  switch (resource.type) {
    case "ec2":
      rows.push(
        resource.name !== undefined && { label: "Name", value: resource.name },
        resource.volume !== undefined && {
          label: "Volume",
          value: `${resource.volume.sizeGiB} GiB ${resource.volume.type}`,
        },
        resource.privateIp !== undefined && { label: "Requested private IP", value: resource.privateIp },
        resource.subnetId !== undefined && { label: "Subnet", value: resource.subnetId },
      );
      break;
    case "rds":
      rows.push(
        { label: "Name", value: resource.name },
        resource.databaseName !== undefined && { label: "Database name", value: resource.databaseName },
        { label: "Storage", value: `${resource.allocatedStorageGiB} GiB ${resource.storageType}` },
        {
          label: "Availability",
          value: resource.multiAz ? "Multi-AZ (a standby in a second Availability Zone)" : "Single-AZ",
        },
        {
          label: "Backups",
          value:
            resource.backupRetentionDays === 0
              ? "none (automated backups off)"
              : `kept ${daysInWords(resource.backupRetentionDays)}`,
        },
      );
      break;
    case "s3":
      rows.push(
        { label: "Versioning", value: resource.versioning ? "on" : "off" },
        { label: "Encryption", value: ENCRYPTION_WORDS[resource.encryption] },
        {
          label: "Objects expire",
          value:
            resource.expireObjectsAfterDays === undefined
              ? "never"
              : `after ${daysInWords(resource.expireObjectsAfterDays)}`,
        },
        // Not fields of the request: every bucket gets them, and an approver should know it.
        { label: "Access", value: "public access blocked; TLS only" },
      );
      break;
  }
  return rows.filter((row): row is DetailRow => row !== false);
};

const DOLLARS = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
/** Unit prices go to fractions of a cent: t3.nano is $0.0052 an hour. */
const UNIT_DOLLARS = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  minimumFractionDigits: 2,
  maximumFractionDigits: 6,
});
const QUANTITY = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

/** e.g. "$1,234.50". */
export const dollarsInWords = (usd: number): string => DOLLARS.format(usd);

const PER_UNIT: Record<CostPart["unit"], string> = { hours: "an hour", "GiB-months": "a GiB-month" };

/** e.g. "730 hours of t3.micro (Linux) at $0.0104 an hour = $7.59". */
export const costPartInWords = (part: CostPart): string => {
  const what = `${QUANTITY.format(part.quantity)} ${part.unit} of ${part.item}`;
  const why = part.unknownBecause ? ` (${part.unknownBecause})` : "";
  if (part.unitPriceUsd !== null && part.monthlyUsd === null) {
    return `${part.item} at ${UNIT_DOLLARS.format(part.unitPriceUsd)} ${PER_UNIT[part.unit]}, an amount not known yet${why}`;
  }
  if (part.unitPriceUsd === null || part.monthlyUsd === null) {
    return `${what} at an unknown price${why}`;
  }
  return `${what} at ${UNIT_DOLLARS.format(part.unitPriceUsd)} ${PER_UNIT[part.unit]} = ${dollarsInWords(part.monthlyUsd)}`;
};

/** The total alone: "$12.34 a month", or "unknown" when a price was not found, never $0. */
export const monthlyCostInWords = (estimatedMonthlyCostUsd: number | null): string =>
  estimatedMonthlyCostUsd === null ? "unknown" : `${dollarsInWords(estimatedMonthlyCostUsd)} a month`;

/**
 * The estimate with its parts: "$13.98 a month: 730 hours of ... = $11.68; 20 GiB-months of ... =
 * $2.30; us-east-1 prices as of 2026-12-07". Undefined for a request accepted before estimates.
 */
export const costEstimateInWords = (
  estimatedMonthlyCostUsd: number | null | undefined,
  costEstimate: CostEstimate | undefined,
): string | undefined => {
  if (estimatedMonthlyCostUsd === undefined && costEstimate === undefined) return undefined;
  // Intake settles both together; parts without intake's total are not added up here, so every place
  // shows the one figure intake settled.
  const total = monthlyCostInWords(estimatedMonthlyCostUsd ?? null);
  if (costEstimate === undefined) return total;
  const { parts, region, pricesAsOf, notes = [] } = costEstimate;
  return `${total}: ${[...parts.map(costPartInWords), `${region} prices as of ${pricesAsOf}`, ...notes].join("; ")}`;
};

const TIME_UNITS = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1_000],
] as const;

/**
 * A length of time in its two largest units, the rest dropped: "7 days", "1 day and 12 hours",
 * "2 hours", "30 seconds". Leases and their reminders are whole units; a reader wants no more.
 */
export const lengthInWords = (milliseconds: number): string => {
  let left = Math.max(0, milliseconds);
  const parts = TIME_UNITS.flatMap(([unit, size]) => {
    const count = Math.floor(left / size);
    left -= count * size;
    return count > 0 ? [`${count} ${unit}${count === 1 ? "" : "s"}`] : [];
  }).slice(0, 2);
  return parts.length > 0 ? parts.join(" and ") : "less than a second";
};

/** A lease's ISO 8601 duration in words: "P7D" is "7 days", "PT36H" "1 day and 12 hours". */
export const leaseDurationInWords = (duration: string): string => lengthInWords(parseDuration(duration));

/** The same actions as done to the resource, as "then …" says them (END_ACTION_WORDS says them as verbs). */
export const END_ACTION_DONE_WORDS: Record<EndAction, string> = {
  terminate: "terminated",
  stop: "stopped",
  "snapshot-and-delete": "deleted after a final snapshot",
  "delete-without-snapshot": "deleted without a final snapshot",
  "delete-if-empty": "deleted if empty",
};

/** "for 7 days after it is ready (then terminated)", or "with no end". */
export const leaseTermsInWords = ({ duration, onEnd }: LeaseTerms): string =>
  duration === null
    ? "with no end"
    : `for ${leaseDurationInWords(duration)} after it is ready (then ${END_ACTION_DONE_WORDS[onEnd]})`;

/** The resource a lease holds, by what its launcher named it: "instance i-0abc… in eu-west-1". */
export const leasedResourceInWords = (resource: LeasedResource): string => {
  switch (resource.type) {
    case "ec2":
      return `instance ${resource.instanceId} in ${resource.region}`;
    case "rds":
      return `database ${resource.dbInstanceIdentifier} in ${resource.region}`;
    case "s3":
      return `bucket ${resource.bucketName} in ${resource.region}`;
  }
};
