import { describe, expect, it } from "vitest";
import type { CostEstimate, CostPart } from "../events/cost-estimate.ts";
import {
  sampleBucketRequest,
  sampleDatabaseEstimate,
  sampleDatabaseRequest,
  sampleRequest,
} from "../test/support/fixtures.ts";
import {
  costEstimateInWords,
  costPartInWords,
  leasedResourceInWords,
  leaseTermsInWords,
  lengthInWords,
  resourceDetailRows,
  resourceInWords,
} from "./request-words.ts";

const { costEstimate: DATABASE_ESTIMATE } = sampleDatabaseEstimate() as { costEstimate: CostEstimate };
const [DATABASE_INSTANCE, DATABASE_STORAGE] = DATABASE_ESTIMATE.parts as [CostPart, CostPart];

describe("resourceInWords", () => {
  it("names an instance by its type and operating system", () => {
    expect(resourceInWords(sampleRequest().resource)).toBe("EC2 t3.micro (amazon-linux-2023)");
  });

  it("names a database by its engine, version and class", () => {
    expect(resourceInWords(sampleDatabaseRequest().resource)).toBe("RDS PostgreSQL 16.8 db.t4g.micro");
  });

  it("leaves out the version a database request lets RDS choose", () => {
    const { engineVersion: _version, ...resource } = sampleDatabaseRequest().resource;
    expect(resourceInWords({ ...resource, engine: "mysql" })).toBe("RDS MySQL db.t4g.micro");
  });

  it("names a bucket by its name", () => {
    expect(resourceInWords(sampleBucketRequest().resource)).toBe("S3 bucket approvals-team-logs");
  });
});

describe("resourceDetailRows", () => {
  it("gives a database's name, storage, availability and backups", () => {
    const resource = {
      ...sampleDatabaseRequest().resource,
      allocatedStorageGiB: 100,
      multiAz: true,
      backupRetentionDays: 1,
    };
    expect(resourceDetailRows(resource)).toEqual([
      { label: "Name", value: "orders" },
      { label: "Database name", value: "orders" },
      { label: "Storage", value: "100 GiB gp3" },
      { label: "Availability", value: "Multi-AZ (a standby in a second Availability Zone)" },
      { label: "Backups", value: "kept 1 day" },
    ]);
  });

  it("says a database without backups has none, and leaves out a database name it does not ask for", () => {
    const { databaseName: _name, ...resource } = sampleDatabaseRequest().resource;
    expect(resourceDetailRows({ ...resource, backupRetentionDays: 0 })).toEqual([
      { label: "Name", value: "orders" },
      { label: "Storage", value: "20 GiB gp3" },
      { label: "Availability", value: "Single-AZ" },
      { label: "Backups", value: "none (automated backups off)" },
    ]);
  });

  it("gives a bucket's versioning, encryption, expiry and the access every bucket gets", () => {
    expect(resourceDetailRows(sampleBucketRequest().resource)).toEqual([
      { label: "Versioning", value: "on" },
      { label: "Encryption", value: "SSE-S3 (keys managed by S3)" },
      { label: "Objects expire", value: "never" },
      { label: "Access", value: "public access blocked; TLS only" },
    ]);
    const expiring = {
      ...sampleBucketRequest().resource,
      versioning: false,
      encryption: "sse-kms" as const,
      expireObjectsAfterDays: 30,
    };
    expect(resourceDetailRows(expiring)).toEqual([
      { label: "Versioning", value: "off" },
      { label: "Encryption", value: "SSE-KMS (the AWS managed KMS key)" },
      { label: "Objects expire", value: "after 30 days" },
      { label: "Access", value: "public access blocked; TLS only" },
    ]);
  });
});

describe("costPartInWords", () => {
  it("gives the quantity, the unit price to fractions of a cent, and the month's dollars", () => {
    expect(
      costPartInWords({
        item: "t3.nano (Linux)",
        quantity: 730,
        unit: "hours",
        unitPriceUsd: 0.0052,
        monthlyUsd: 3.8,
      }),
    ).toBe("730 hours of t3.nano (Linux) at $0.0052 an hour = $3.80");
    expect(
      costPartInWords({
        item: "gp3 storage",
        quantity: 16384,
        unit: "GiB-months",
        unitPriceUsd: 0.08,
        monthlyUsd: 1310.72,
      }),
    ).toBe("16,384 GiB-months of gp3 storage at $0.08 a GiB-month = $1,310.72");
  });

  it("says a price that was not found is unknown, and why, never $0", () => {
    const words = costPartInWords({
      item: "db.r7g.large (MySQL, Multi-AZ)",
      quantity: 730,
      unit: "hours",
      unitPriceUsd: null,
      monthlyUsd: null,
      unknownBecause: "the price list has no such product in ap-south-2",
    });
    expect(words).toBe(
      "730 hours of db.r7g.large (MySQL, Multi-AZ) at an unknown price (the price list has no such product in ap-south-2)",
    );
    expect(words).not.toContain("$");
  });
});

describe("costEstimateInWords", () => {
  it("gives the month's total, each part, and where and when the prices were read", () => {
    expect(costEstimateInWords(13.98, DATABASE_ESTIMATE)).toBe(
      "$13.98 a month: 730 hours of db.t4g.micro (PostgreSQL, Single-AZ) at $0.016 an hour = $11.68; " +
        "20 GiB-months of gp3 storage at $0.115 a GiB-month = $2.30; us-east-1 prices as of 2026-12-07",
    );
  });

  it("says an unknown total is unknown, with the parts that are known and those that are not", () => {
    const estimate: CostEstimate = {
      ...DATABASE_ESTIMATE,
      parts: [
        {
          ...DATABASE_INSTANCE,
          unitPriceUsd: null,
          monthlyUsd: null,
          unknownBecause: "the Price List API did not answer",
        },
        DATABASE_STORAGE,
      ],
    };
    const words = costEstimateInWords(null, estimate);
    expect(words).toBe(
      "unknown: 730 hours of db.t4g.micro (PostgreSQL, Single-AZ) at an unknown price (the Price List API did not answer); " +
        "20 GiB-months of gp3 storage at $0.115 a GiB-month = $2.30; us-east-1 prices as of 2026-12-07",
    );
  });

  it("gives a bucket's storage price with its month not known yet, and ends with what the figure leaves out", () => {
    const estimate: CostEstimate = {
      region: "eu-west-1",
      parts: [
        {
          item: "S3 Standard storage",
          quantity: 0,
          unit: "GiB-months",
          unitPriceUsd: 0.023,
          monthlyUsd: null,
          unknownBecause: "S3 bills by the GiB actually stored",
        },
      ],
      pricesAsOf: "2026-12-07",
      notes: ["S3 bills stored data, requests and transfer by use"],
    };
    expect(costEstimateInWords(null, estimate)).toBe(
      "unknown: S3 Standard storage at $0.023 a GiB-month, an amount not known yet (S3 bills by the GiB actually stored); eu-west-1 prices as of 2026-12-07; S3 bills stored data, requests and transfer by use",
    );
  });

  it("says nothing of a request accepted before estimates, and unknown for parts without a total", () => {
    expect(costEstimateInWords(undefined, undefined)).toBeUndefined();
    expect(costEstimateInWords(undefined, DATABASE_ESTIMATE)).toMatch(/^unknown: /);
    expect(costEstimateInWords(7.59, undefined)).toBe("$7.59 a month");
  });
});

describe("lengthInWords", () => {
  it.each([
    [7 * 86_400_000, "7 days"],
    [36 * 3_600_000, "1 day and 12 hours"],
    [2 * 3_600_000, "2 hours"],
    [90_000, "1 minute and 30 seconds"],
    [86_400_000 + 3_600_000 + 60_000, "1 day and 1 hour"],
    [400, "less than a second"],
  ])("says %i ms as %s: its two largest units, the rest dropped", (milliseconds, words) => {
    expect(lengthInWords(milliseconds)).toBe(words);
  });
});

describe("leaseTermsInWords", () => {
  it("says how long after it is ready the resource is approved for, and what is done at the end", () => {
    expect(leaseTermsInWords({ duration: "P7D", onEnd: "terminate", max: "P90D" })).toBe(
      "for 7 days after it is ready (then terminated)",
    );
    expect(leaseTermsInWords({ duration: "P2W", onEnd: "snapshot-and-delete", max: "P90D" })).toBe(
      "for 14 days after it is ready (then deleted after a final snapshot)",
    );
  });

  it("says a lease without an end has none", () => {
    expect(leaseTermsInWords({ duration: null, onEnd: "stop", max: null })).toBe("with no end");
  });
});

describe("leasedResourceInWords", () => {
  it("names the resource by its id and region", () => {
    expect(
      leasedResourceInWords({ type: "ec2", instanceId: "i-0123456789abcdef0", region: "eu-west-1" }),
    ).toBe("instance i-0123456789abcdef0 in eu-west-1");
    expect(
      leasedResourceInWords({ type: "rds", dbInstanceIdentifier: "orders-1", region: "us-east-1" }),
    ).toBe("database orders-1 in us-east-1");
    expect(leasedResourceInWords({ type: "s3", bucketName: "team-logs", region: "us-east-1" })).toBe(
      "bucket team-logs in us-east-1",
    );
  });
});
