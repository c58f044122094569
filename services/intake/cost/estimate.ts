import { type CostEstimate, type CostPart, HOURS_PER_MONTH } from "../../../events/cost-estimate.ts";
import type { RdsResource } from "../../../events/rds-resource.ts";
import type { Region } from "../../../events/region.ts";
import {
  type Ec2Resource,
  isBootVolumeType,
  type Resource,
  type VolumeType,
} from "../../../events/request.ts";
import {
  ebsVolumeQuery,
  ec2InstanceQuery,
  osFamilyOf,
  type PriceQuery,
  RDS_ENGINE_NAMES,
  type RdsDeployment,
  rdsInstanceQuery,
  rdsStorageQuery,
  s3StandardQuery,
} from "./price-queries.ts";

/**
 * The root volume an image gives an instance launched without a volume: 8 GiB gp3 for the Amazon Linux
 * and Ubuntu images, 30 GiB for Windows Server's.
 */
export const defaultRootVolumeOf = (os: Ec2Resource["os"]) =>
  ({ sizeGiB: os.startsWith("windows") ? 30 : 8, type: "gp3" }) as const;

/** What the price list answered for one product. */
export type PriceLookup =
  | { kind: "found"; usd: number; publishedOn: string }
  | { kind: "not-listed" }
  | { kind: "ambiguous"; count: number }
  | { kind: "unreadable"; reason: string };

/**
 * One part of the bill: its unit price is a product's price, or the difference between two (a Multi-AZ
 * instance's standby is what Multi-AZ costs beyond Single-AZ).
 */
export interface CostLine {
  item: string;
  quantity: number;
  unit: CostPart["unit"];
  price: PriceQuery;
  less?: PriceQuery;
  /** Why how much of it a month is unknown until the resource is used: its unit price is still stated. */
  billedByUse?: string;
}

export interface Estimate {
  estimatedMonthlyCostUsd: number | null;
  costEstimate: CostEstimate;
}

const ec2LinesOf = (resource: Ec2Resource, region: Region): CostLine[] => {
  const os = osFamilyOf(resource.os);
  const instance: CostLine = {
    item: `${resource.instanceType} (${os})`,
    quantity: HOURS_PER_MONTH,
    unit: "hours",
    price: ec2InstanceQuery(region, resource.instanceType, os),
  };
  const volumeLine = ({ sizeGiB, type }: { sizeGiB: number; type: VolumeType }, role: string): CostLine => ({
    item: `${type} ${role} volume`,
    quantity: sizeGiB,
    unit: "GiB-months",
    price: ebsVolumeQuery(region, type),
  });
  const { volume } = resource;
  // An HDD volume cannot boot: it goes beside the image's root volume rather than replacing it.
  if (volume && isBootVolumeType(volume.type)) return [instance, volumeLine(volume, "root")];
  const root = volumeLine(defaultRootVolumeOf(resource.os), "root");
  return volume ? [instance, root, volumeLine(volume, "data")] : [instance, root];
};

const rdsLinesOf = (resource: RdsResource, region: Region): CostLine[] => {
  const { instanceClass, engine, storageType, multiAz } = resource;
  const single = rdsInstanceQuery(region, instanceClass, engine, "Single-AZ");
  const deployment: RdsDeployment = multiAz ? "Multi-AZ" : "Single-AZ";
  const instance: CostLine = {
    item: `${instanceClass} (${RDS_ENGINE_NAMES[engine]}, Single-AZ)`,
    quantity: HOURS_PER_MONTH,
    unit: "hours",
    price: single,
  };
  const storage: CostLine = {
    item: `${storageType} storage (${deployment})`,
    quantity: resource.allocatedStorageGiB,
    unit: "GiB-months",
    price: rdsStorageQuery(region, storageType, engine, deployment),
  };
  if (!multiAz) return [instance, storage];
  const standby: CostLine = {
    item: `Multi-AZ standby for ${instanceClass}`,
    quantity: HOURS_PER_MONTH,
    unit: "hours",
    price: rdsInstanceQuery(region, instanceClass, engine, "Multi-AZ"),
    less: single,
  };
  return [instance, standby, storage];
};

/** The parts of a resource's monthly bill, each with the Price List product it is priced from. */
export const costLinesOf = (resource: Resource, region: Region): CostLine[] => {
  switch (resource.type) {
    case "ec2":
      return ec2LinesOf(resource, region);
    case "rds":
      return rdsLinesOf(resource, region);
    case "s3":
      // How much a bucket will store is not asked: the part states the price of a GiB, the month unknown.
      return [
        {
          item: "S3 Standard storage",
          quantity: 0,
          unit: "GiB-months",
          price: s3StandardQuery(region),
          billedByUse: "S3 bills by the GiB actually stored",
        },
      ];
  }
};

export const S3_BY_USE_NOTE =
  "S3 bills by use: storage per GiB-month actually stored, plus requests and data transfer, so a bucket's monthly cost is unknown until it is used; the storage price shows what each GiB will cost.";
const PROVISIONED_IOPS_NOTE =
  "io1 and io2 volumes are also billed for their provisioned IOPS, which this estimate leaves out.";

const notesOf = (resource: Resource): string[] => {
  if (resource.type === "s3") return [S3_BY_USE_NOTE];
  if (resource.type === "ec2" && (resource.volume?.type === "io1" || resource.volume?.type === "io2"))
    return [PROVISIONED_IOPS_NOTE];
  return [];
};

/** A key naming a query, to look its answer up: the same product asked twice is one lookup. */
export const queryKeyOf = ({ serviceCode, filters }: PriceQuery): string =>
  JSON.stringify([serviceCode, Object.entries(filters).sort(([a], [b]) => a.localeCompare(b))]);

const describe = ({ filters }: PriceQuery): string =>
  Object.entries(filters)
    .map(([field, value]) => `${field}=${value}`)
    .join(", ");

const unknownReasonOf = (lookup: Exclude<PriceLookup, { kind: "found" }>, query: PriceQuery): string => {
  switch (lookup.kind) {
    case "not-listed":
      return `the price list has no on-demand price for ${describe(query)}`;
    case "ambiguous":
      return `the price list holds ${lookup.count} different prices for ${describe(query)}`;
    case "unreadable":
      return `the price list could not be read: ${lookup.reason}`;
  }
};

const cents = (usd: number): number => Math.round(usd * 100) / 100;
/** Unit prices keep the list's precision, without the float noise of a subtraction. */
const unitPrecision = (usd: number): number => Math.round(usd * 1e8) / 1e8;

type UnitPrice = { usd: number; publishedOn: string[] } | { unknownBecause: string };

const unitPriceOf = (line: CostLine, lookup: (query: PriceQuery) => PriceLookup): UnitPrice => {
  const queries = line.less ? [line.price, line.less] : [line.price];
  const found: { usd: number; publishedOn: string }[] = [];
  for (const query of queries) {
    const answer = lookup(query);
    if (answer.kind !== "found") return { unknownBecause: unknownReasonOf(answer, query) };
    found.push(answer);
  }
  const [price, less] = found as [{ usd: number; publishedOn: string }, { usd: number } | undefined];
  return {
    usd: unitPrecision(Math.max(0, price.usd - (less?.usd ?? 0))),
    publishedOn: found.map((answer) => answer.publishedOn),
  };
};

/**
 * The estimate of a resource from the prices found for its lines: each part its quantity times its
 * unit price, rounded to cents, and the total their sum. A part whose price is unknown makes the total
 * unknown (`null`), never 0. The prices are as of the oldest publication among them; with none found,
 * as of `today`, the day they were asked for.
 */
export const estimateOf = (
  resource: Resource,
  region: Region,
  lines: readonly CostLine[],
  lookup: (query: PriceQuery) => PriceLookup,
  today: string,
): Estimate => {
  const published: string[] = [];
  const parts = lines.map((line): CostPart => {
    const { item, quantity, unit } = line;
    const price = unitPriceOf(line, lookup);
    if ("unknownBecause" in price) {
      return {
        item,
        quantity,
        unit,
        unitPriceUsd: null,
        monthlyUsd: null,
        unknownBecause: price.unknownBecause,
      };
    }
    published.push(...price.publishedOn);
    if (line.billedByUse) {
      return {
        item,
        quantity,
        unit,
        unitPriceUsd: price.usd,
        monthlyUsd: null,
        unknownBecause: line.billedByUse,
      };
    }
    return { item, quantity, unit, unitPriceUsd: price.usd, monthlyUsd: cents(quantity * price.usd) };
  });
  const monthly = parts.map((part) => part.monthlyUsd);
  const total = monthly.every((usd) => usd !== null)
    ? cents(monthly.reduce((sum, usd) => sum + usd, 0))
    : null;
  const notes = notesOf(resource);
  return {
    estimatedMonthlyCostUsd: total,
    costEstimate: {
      region,
      parts,
      pricesAsOf: published.sort()[0] ?? today,
      ...(notes.length > 0 && { notes }),
    },
  };
};
