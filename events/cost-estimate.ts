import { z } from "zod";
import { regionSchema } from "./region.ts";

/**
 * What a request is expected to cost a month, worked out when intake accepts it from AWS's public
 * on-demand list prices for its region. A price the list does not have is `null`, "unknown", never 0;
 * a total with any unknown part is unknown too.
 */

const usdSchema = z.number().nonnegative();

export const costPartSchema = z.strictObject({
  /** What is paid for, as people read it: "db.t4g.micro (PostgreSQL, Single-AZ)", "gp3 storage". */
  item: z.string().min(1),
  /** e.g. 730 hours, 100 GiB-months. */
  quantity: z.number().nonnegative(),
  unit: z.enum(["hours", "GiB-months"]),
  unitPriceUsd: usdSchema.nullable(),
  monthlyUsd: usdSchema.nullable(),
  /** Why the price is unknown, when it is. */
  unknownBecause: z.string().min(1).optional(),
});

export type CostPart = z.output<typeof costPartSchema>;

export const costEstimateSchema = z.strictObject({
  region: regionSchema,
  parts: z.array(costPartSchema),
  /** The day the prices were read from the price list (for a committed snapshot, the day it was taken). */
  pricesAsOf: z.iso.date(),
  /** What the figure leaves out, in words (e.g. S3's charges by use). */
  notes: z.array(z.string().min(1)).optional(),
});

export type CostEstimate = z.output<typeof costEstimateSchema>;

/** The total a month in US dollars, rounded to cents; `null` when any part's price is unknown. */
export const estimatedMonthlyCostSchema = usdSchema.nullable();

/** AWS's own calculator counts a month as 730 hours (8,760 / 12): the month of an estimate's parts. */
export const HOURS_PER_MONTH = 730;

/**
 * What a resource has cost after running `hours`, at its estimate's prices: each part's unit price
 * times its quantity for the hours' share of a month (an hourly part's 730 hours make it its price an
 * hour, a GiB-month part its GiB), rounded to cents. `null` when any part's month is unknown, a price
 * the list lacks or a part billed by use (S3), which no count of hours tells; never 0 for unknown.
 */
export const costSoFar = (estimate: CostEstimate, hours: number): number | null => {
  let usd = 0;
  for (const { unitPriceUsd, quantity, monthlyUsd } of estimate.parts) {
    if (unitPriceUsd === null || monthlyUsd === null) return null;
    usd += (unitPriceUsd * quantity * hours) / HOURS_PER_MONTH;
  }
  return Math.round(usd * 100) / 100;
};
