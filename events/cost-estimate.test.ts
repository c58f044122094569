import { describe, expect, it } from "vitest";
import { type CostEstimate, costSoFar, HOURS_PER_MONTH } from "./cost-estimate.ts";

const estimateOf = (parts: CostEstimate["parts"]): CostEstimate => ({
  region: "us-east-1",
  parts,
  pricesAsOf: "2026-12-07",
});

const instance = {
  item: "t3.micro (Linux)",
  quantity: HOURS_PER_MONTH,
  unit: "hours",
  unitPriceUsd: 0.0104,
  monthlyUsd: 7.59,
} as const;
const volume = {
  item: "gp3 root volume",
  quantity: 20,
  unit: "GiB-months",
  unitPriceUsd: 0.08,
  monthlyUsd: 1.6,
} as const;

describe("costSoFar", () => {
  it("prices an hourly part by the hour", () => {
    expect(costSoFar(estimateOf([instance]), 100)).toBe(1.04);
  });

  it("prices a GiB-month part by its GiB for the hours' share of a month", () => {
    expect(costSoFar(estimateOf([volume]), HOURS_PER_MONTH / 2)).toBe(0.8);
  });

  it("adds the parts up, and a whole month costs what the estimate says a month costs", () => {
    expect(costSoFar(estimateOf([instance, volume]), HOURS_PER_MONTH)).toBe(9.19);
    expect(costSoFar(estimateOf([instance, volume]), 0)).toBe(0);
  });

  it("is unknown when a part's price is, never 0", () => {
    const unknown = { ...volume, unitPriceUsd: null, monthlyUsd: null, unknownBecause: "not listed" };
    expect(costSoFar(estimateOf([instance, unknown]), 100)).toBeNull();
  });

  it("is unknown for a part billed by use, whose price per GiB is known but not how many GiB", () => {
    const byUse = {
      item: "S3 Standard storage",
      quantity: 0,
      unit: "GiB-months",
      unitPriceUsd: 0.023,
      monthlyUsd: null,
      unknownBecause: "S3 bills by the GiB actually stored",
    } as const;
    expect(costSoFar(estimateOf([byUse]), 100)).toBeNull();
  });
});
