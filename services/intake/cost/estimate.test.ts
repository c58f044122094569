import { describe, expect, it } from "vitest";
import type { Resource } from "../../../events/request.ts";
import { loadPriceSnapshot } from "../../../infra/local/pricing/snapshot.ts";
import { costLinesOf, estimateOf, type PriceLookup, queryKeyOf, S3_BY_USE_NOTE } from "./estimate.ts";
import type { PriceQuery } from "./price-queries.ts";

const snapshot = loadPriceSnapshot();
const usEast1 = snapshot.regions["us-east-1"];
if (!usEast1) throw new Error("the snapshot must price us-east-1");

/** Prices as the Price List would answer them: the ones given, found; any other, not listed. */
const priceBook =
  (prices: [PriceQuery, number][]) =>
  (query: PriceQuery): PriceLookup => {
    const found = prices.find(([listed]) => queryKeyOf(listed) === queryKeyOf(query));
    return found
      ? { kind: "found", usd: found[1], publishedOn: snapshot.pricesAsOf }
      : { kind: "not-listed" };
  };

/** Prices every line of the resource from the snapshot's figures, in the order costLinesOf gives them. */
const estimate = (resource: Resource, unitPrices: number[], region = "us-east-1") => {
  const lines = costLinesOf(resource, region);
  const queries = lines.flatMap((line) => [line.price, ...(line.less ? [line.less] : [])]);
  return estimateOf(
    resource,
    region,
    lines,
    priceBook(queries.map((query, index) => [query, unitPrices[index] ?? Number.NaN])),
    "2026-12-31",
  );
};

const ec2 = (fields: Partial<Extract<Resource, { type: "ec2" }>> = {}): Resource => ({
  type: "ec2",
  instanceType: "t3.micro",
  os: "amazon-linux-2023",
  ...fields,
});

const rds = (fields: Partial<Extract<Resource, { type: "rds" }>> = {}): Resource => ({
  type: "rds",
  engine: "postgres",
  instanceClass: "db.t4g.micro",
  allocatedStorageGiB: 20,
  storageType: "gp3",
  multiAz: false,
  name: "orders",
  backupRetentionDays: 7,
  ...fields,
});

describe("estimateOf: an EC2 instance", () => {
  it("is 730 hours of its type on Linux and its image's 8 GiB gp3 root volume (t3.micro in us-east-1: 7.59 + 0.64)", () => {
    const hourly = usEast1.ec2["t3.micro"]?.Linux as number;

    const { estimatedMonthlyCostUsd, costEstimate } = estimate(ec2(), [hourly, usEast1.ebs.gp3 as number]);

    expect(hourly).toBe(0.0104);
    expect(costEstimate.parts).toEqual([
      { item: "t3.micro (Linux)", quantity: 730, unit: "hours", unitPriceUsd: 0.0104, monthlyUsd: 7.59 },
      { item: "gp3 root volume", quantity: 8, unit: "GiB-months", unitPriceUsd: 0.08, monthlyUsd: 0.64 },
    ]);
    expect(estimatedMonthlyCostUsd).toBe(8.23);
    expect(costEstimate).toMatchObject({ region: "us-east-1", pricesAsOf: "2026-12-07" });
    expect(costEstimate.notes).toBeUndefined();
  });

  it("prices Windows at its own hourly price with its image's 30 GiB root volume", () => {
    const resource = ec2({ instanceType: "t3.large", os: "windows-server-2022" });

    const { costEstimate } = estimate(resource, [usEast1.ec2["t3.large"]?.Windows as number, 0.08]);

    expect(costEstimate.parts.map(({ item, quantity }) => [item, quantity])).toEqual([
      ["t3.large (Windows)", 730],
      ["gp3 root volume", 30],
    ]);
    expect(costLinesOf(resource, "us-east-1")[0]?.price.filters).toMatchObject({
      operatingSystem: "Windows",
      licenseModel: "License Included",
    });
  });

  it("takes a requested bootable volume as the root volume", () => {
    const { costEstimate } = estimate(ec2({ volume: { sizeGiB: 100, type: "gp2" } }), [0.0104, 0.1]);

    expect(costEstimate.parts[1]).toEqual({
      item: "gp2 root volume",
      quantity: 100,
      unit: "GiB-months",
      unitPriceUsd: 0.1,
      monthlyUsd: 10,
    });
  });

  it("adds an st1 or sc1 volume beside the image's root volume, since neither can boot", () => {
    const { costEstimate, estimatedMonthlyCostUsd } = estimate(
      ec2({ volume: { sizeGiB: 500, type: "st1" } }),
      [0.0104, 0.08, 0.045],
    );

    expect(costEstimate.parts.map(({ item, monthlyUsd }) => [item, monthlyUsd])).toEqual([
      ["t3.micro (Linux)", 7.59],
      ["gp3 root volume", 0.64],
      ["st1 data volume", 22.5],
    ]);
    expect(estimatedMonthlyCostUsd).toBe(30.73);
  });

  it("says that provisioned IOPS are left out of an io2 volume's figure", () => {
    expect(
      estimate(ec2({ volume: { sizeGiB: 50, type: "io2" } }), [0.0104, 0.125]).costEstimate.notes,
    ).toEqual([expect.stringContaining("provisioned IOPS")]);
  });
});

describe("estimateOf: an RDS database", () => {
  const postgres = usEast1.rds["db.m7g.large"]?.PostgreSQL;
  if (!postgres) throw new Error("the snapshot must price db.m7g.large on PostgreSQL");

  it("is 730 hours of its class Single-AZ for its engine and its storage GiB-months", () => {
    const { costEstimate, estimatedMonthlyCostUsd } = estimate(
      rds({ instanceClass: "db.m7g.large", allocatedStorageGiB: 100 }),
      [postgres["Single-AZ"], usEast1.rdsStorage.gp3?.["Single-AZ"] as number],
    );

    expect(costEstimate.parts).toEqual([
      {
        item: "db.m7g.large (PostgreSQL, Single-AZ)",
        quantity: 730,
        unit: "hours",
        unitPriceUsd: 0.168,
        monthlyUsd: 122.64,
      },
      {
        item: "gp3 storage (Single-AZ)",
        quantity: 100,
        unit: "GiB-months",
        unitPriceUsd: 0.115,
        monthlyUsd: 11.5,
      },
    ]);
    expect(estimatedMonthlyCostUsd).toBe(134.14);
  });

  it("shows Multi-AZ as its own part, what it costs beyond Single-AZ, with Multi-AZ storage", () => {
    const { costEstimate, estimatedMonthlyCostUsd } = estimate(
      rds({ instanceClass: "db.m7g.large", allocatedStorageGiB: 100, multiAz: true }),
      [
        postgres["Single-AZ"],
        postgres["Multi-AZ"],
        postgres["Single-AZ"],
        usEast1.rdsStorage.gp3?.["Multi-AZ"] as number,
      ],
    );

    expect(costEstimate.parts).toEqual([
      expect.objectContaining({ item: "db.m7g.large (PostgreSQL, Single-AZ)", monthlyUsd: 122.64 }),
      {
        item: "Multi-AZ standby for db.m7g.large",
        quantity: 730,
        unit: "hours",
        unitPriceUsd: 0.168,
        monthlyUsd: 122.64,
      },
      {
        item: "gp3 storage (Multi-AZ)",
        quantity: 100,
        unit: "GiB-months",
        unitPriceUsd: 0.23,
        monthlyUsd: 23,
      },
    ]);
    expect(estimatedMonthlyCostUsd).toBe(268.28);
  });
});

describe("estimateOf: an S3 bucket", () => {
  it("states the per-GiB price of Standard storage but leaves the month unknown, never 0: S3 bills by use", () => {
    const { costEstimate, estimatedMonthlyCostUsd } = estimate(
      { type: "s3", bucketName: "reports", versioning: true, encryption: "sse-s3" },
      [usEast1.s3Standard],
    );

    expect(costEstimate.parts).toEqual([
      {
        item: "S3 Standard storage",
        quantity: 0,
        unit: "GiB-months",
        unitPriceUsd: 0.023,
        monthlyUsd: null,
        unknownBecause: "S3 bills by the GiB actually stored",
      },
    ]);
    expect(estimatedMonthlyCostUsd).toBeNull();
    expect(costEstimate.notes).toEqual([S3_BY_USE_NOTE]);
  });
});

describe("estimateOf: prices it cannot find", () => {
  it("states a part whose price is not listed as unknown, says why, and leaves the total unknown rather than 0", () => {
    const resource = ec2();
    const lines = costLinesOf(resource, "us-east-1");
    const onlyTheInstance = priceBook([[lines[0]?.price as PriceQuery, 0.0104]]);

    const { costEstimate, estimatedMonthlyCostUsd } = estimateOf(
      resource,
      "us-east-1",
      lines,
      onlyTheInstance,
      "2026-12-31",
    );

    expect(estimatedMonthlyCostUsd).toBeNull();
    expect(costEstimate.parts[1]).toEqual({
      item: "gp3 root volume",
      quantity: 8,
      unit: "GiB-months",
      unitPriceUsd: null,
      monthlyUsd: null,
      unknownBecause:
        "the price list has no on-demand price for productFamily=Storage, regionCode=us-east-1, volumeApiName=gp3",
    });
  });

  it("leaves the Multi-AZ part unknown when either of its two prices is, and says when the list holds several", () => {
    const resource = rds({ multiAz: true });
    const lines = costLinesOf(resource, "us-east-1");
    const ambiguous = (query: PriceQuery): PriceLookup =>
      query.filters.deploymentOption === "Multi-AZ" && query.filters.productFamily === "Database Instance"
        ? { kind: "ambiguous", count: 2 }
        : { kind: "found", usd: 0.016, publishedOn: "2026-11-01" };

    const { costEstimate, estimatedMonthlyCostUsd } = estimateOf(
      resource,
      "us-east-1",
      lines,
      ambiguous,
      "2026-12-31",
    );

    expect(estimatedMonthlyCostUsd).toBeNull();
    expect(costEstimate.parts[1]?.unknownBecause).toMatch(/^the price list holds 2 different prices for /);
    expect(costEstimate.pricesAsOf).toBe("2026-11-01");
  });

  it("dates the prices the day they were asked for when none was found", () => {
    const resource = ec2();
    const unreadable = (): PriceLookup => ({ kind: "unreadable", reason: "ThrottlingException" });

    const { costEstimate } = estimateOf(
      resource,
      "us-east-1",
      costLinesOf(resource, "us-east-1"),
      unreadable,
      "2026-12-31",
    );

    expect(costEstimate.pricesAsOf).toBe("2026-12-31");
    expect(costEstimate.parts.map((part) => part.unknownBecause)).toEqual([
      "the price list could not be read: ThrottlingException",
      "the price list could not be read: ThrottlingException",
    ]);
  });
});
