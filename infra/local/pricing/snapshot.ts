import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { REPO_ROOT } from "../functions.ts";

/**
 * The committed price snapshot (data/prices/aws-on-demand.json), compact by design, and the Price List
 * products it stands for: each with the attributes, usage type and unit AWS's own product carries, so
 * the edge's GetProducts answers the filters the services send to AWS.
 */

export const PRICE_SNAPSHOT_FILE = join(REPO_ROOT, "data", "prices", "aws-on-demand.json");

const usd = z.number().nonnegative();
const byDeployment = z.object({ "Single-AZ": usd, "Multi-AZ": usd });

export const priceSnapshotSchema = z.object({
  pricesAsOf: z.iso.date(),
  currency: z.literal("USD"),
  provenance: z.array(z.string()),
  regions: z.record(
    z.string(),
    z.object({
      location: z.string(),
      ec2: z.record(z.string(), z.object({ Linux: usd, Windows: usd.optional() })),
      ebs: z.record(z.string(), usd),
      rds: z.record(z.string(), z.record(z.string(), byDeployment)),
      rdsStorage: z.record(z.string(), byDeployment),
      s3Standard: usd,
    }),
  ),
});

export type PriceSnapshot = z.output<typeof priceSnapshotSchema>;

export class PriceSnapshotError extends Error {
  override readonly name = "PriceSnapshotError";
}

export const loadPriceSnapshot = (file = PRICE_SNAPSHOT_FILE): PriceSnapshot => {
  try {
    return priceSnapshotSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch (cause) {
    throw new PriceSnapshotError(`${file} is not a price snapshot`, { cause });
  }
};

export interface Product {
  sku: string;
  serviceCode: string;
  productFamily: string;
  attributes: Record<string, string>;
  unit: "Hrs" | "GB-Mo";
  usd: number;
  description: string;
  /** A tiered price's first tier ends here (S3 Standard's first 50 TB), in the unit's quantity. */
  endRange?: string;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** A SKU shaped as the Price List's, 16 characters, stable for the same product. */
const skuOf = (serviceCode: string, attributes: Record<string, string>): string =>
  Array.from(
    createHash("sha256")
      .update(JSON.stringify([serviceCode, attributes]))
      .digest()
      .subarray(0, 16),
    (byte) => BASE32[byte % BASE32.length],
  ).join("");

const SERVICE_NAMES: Record<string, string> = {
  AmazonEC2: "Amazon Elastic Compute Cloud",
  AmazonRDS: "Amazon Relational Database Service",
  AmazonS3: "Amazon Simple Storage Service",
};

/** The Price List's names of the EBS volume types (its `volumeType`), beside their API names. */
const EBS_VOLUME_TYPES: Record<string, string> = {
  gp3: "General Purpose",
  gp2: "General Purpose",
  io1: "Provisioned IOPS",
  io2: "Provisioned IOPS",
  st1: "Throughput Optimized HDD",
  sc1: "Cold HDD",
};

const RDS_STORAGE_VOLUME_TYPES: Record<string, string> = {
  gp2: "General Purpose",
  gp3: "General Purpose-GP3",
};

type ProductInput = Omit<Product, "sku" | "serviceCode" | "attributes"> & {
  serviceCode: keyof typeof SERVICE_NAMES;
  attributes: Record<string, string>;
};

/** Every product of the snapshot, described as the Price List describes it. */
export const productsOf = (snapshot: PriceSnapshot): Product[] =>
  Object.entries(snapshot.regions).flatMap(([regionCode, prices]) => {
    const product = ({ serviceCode, productFamily, attributes, ...rest }: ProductInput): Product => {
      const all = {
        servicecode: serviceCode,
        servicename: SERVICE_NAMES[serviceCode] as string,
        productFamily,
        location: prices.location,
        locationType: "AWS Region",
        regionCode,
        ...attributes,
      };
      return { sku: skuOf(serviceCode, all), serviceCode, productFamily, attributes: all, ...rest };
    };
    const instances = Object.entries(prices.ec2).flatMap(([instanceType, byOs]) =>
      Object.entries(byOs).map(([operatingSystem, hourly]) =>
        product({
          serviceCode: "AmazonEC2",
          productFamily: "Compute Instance",
          attributes: {
            instanceType,
            operatingSystem,
            tenancy: "Shared",
            preInstalledSw: "NA",
            capacitystatus: "Used",
            licenseModel: operatingSystem === "Windows" ? "License Included" : "No License required",
            usagetype: `BoxUsage:${instanceType}`,
            operation: operatingSystem === "Windows" ? "RunInstances:0002" : "RunInstances",
          },
          unit: "Hrs",
          usd: hourly as number,
          description: `$${hourly} per On Demand ${operatingSystem} ${instanceType} Instance Hour`,
        }),
      ),
    );
    const volumes = Object.entries(prices.ebs).map(([volumeApiName, monthly]) =>
      product({
        serviceCode: "AmazonEC2",
        productFamily: "Storage",
        attributes: {
          volumeApiName,
          volumeType: EBS_VOLUME_TYPES[volumeApiName] ?? volumeApiName,
          usagetype: `EBS:VolumeUsage.${volumeApiName}`,
        },
        unit: "GB-Mo",
        usd: monthly,
        description: `$${monthly} per GB-month of ${volumeApiName} provisioned storage`,
      }),
    );
    const databases = Object.entries(prices.rds).flatMap(([instanceType, byEngine]) =>
      Object.entries(byEngine).flatMap(([databaseEngine, byDeployment]) =>
        Object.entries(byDeployment).map(([deploymentOption, hourly]) =>
          product({
            serviceCode: "AmazonRDS",
            productFamily: "Database Instance",
            attributes: {
              instanceType,
              databaseEngine,
              deploymentOption,
              licenseModel: "No license required",
              usagetype: `${deploymentOption === "Multi-AZ" ? "Multi-AZUsage" : "InstanceUsage"}:${instanceType}`,
            },
            unit: "Hrs",
            usd: hourly,
            description: `$${hourly} per RDS ${instanceType} ${deploymentOption} instance hour running ${databaseEngine}`,
          }),
        ),
      ),
    );
    // RDS prices storage alike for its engines: the snapshot keeps one figure, the Price List one product per engine.
    const engines = [...new Set(Object.values(prices.rds).flatMap((byEngine) => Object.keys(byEngine)))];
    const databaseStorage = Object.entries(prices.rdsStorage).flatMap(([storageType, byDeployment]) =>
      engines.flatMap((databaseEngine) =>
        Object.entries(byDeployment).map(([deploymentOption, monthly]) =>
          product({
            serviceCode: "AmazonRDS",
            productFamily: "Database Storage",
            attributes: {
              volumeType: RDS_STORAGE_VOLUME_TYPES[storageType] ?? storageType,
              databaseEngine,
              deploymentOption,
              usagetype: `RDS:${deploymentOption === "Multi-AZ" ? "Multi-AZ-" : ""}${storageType.toUpperCase()}-Storage`,
            },
            unit: "GB-Mo",
            usd: monthly,
            description: `$${monthly} per GB-month of ${storageType} storage for ${deploymentOption} ${databaseEngine} deployments`,
          }),
        ),
      ),
    );
    const buckets = product({
      serviceCode: "AmazonS3",
      productFamily: "Storage",
      attributes: {
        storageClass: "General Purpose",
        volumeType: "Standard",
        usagetype: "TimedStorage-ByteHrs",
      },
      unit: "GB-Mo",
      usd: prices.s3Standard,
      description: `$${prices.s3Standard} per GB - first 50 TB / month of storage used`,
      endRange: "51200",
    });
    return [...instances, ...volumes, ...databases, ...databaseStorage, buckets];
  });
