import type { RdsEngine, RdsInstanceClass, RdsStorageType } from "../../../events/rds-resource.ts";
import type { Region } from "../../../events/region.ts";
import type { OperatingSystem, VolumeType } from "../../../events/request.ts";

/**
 * The AWS Price List products a request is priced from, each named by the attributes that pick out
 * exactly one on-demand product (TERM_MATCH filters of GetProducts). The attribute names and values
 * are the Price List's own: the adapter asks for them, `npm run prices:snapshot` rebuilds the local
 * snapshot with them, and the local edge describes its products with them.
 */

export const SERVICE_CODES = ["AmazonEC2", "AmazonRDS", "AmazonS3"] as const;
export type ServiceCode = (typeof SERVICE_CODES)[number];

export interface PriceQuery {
  serviceCode: ServiceCode;
  filters: Readonly<Record<string, string>>;
}

/** The Price List's operating system of an instance: every Linux distribution is priced as "Linux". */
export type OsFamily = "Linux" | "Windows";

export const osFamilyOf = (os: OperatingSystem): OsFamily => (os.startsWith("windows") ? "Windows" : "Linux");

/**
 * An instance of the default tenancy with no software bought with it, as the launcher starts it;
 * `capacitystatus: Used` is the instance's own price (not a reservation's unused capacity).
 */
export const ec2InstanceQuery = (region: Region, instanceType: string, os: OsFamily): PriceQuery => ({
  serviceCode: "AmazonEC2",
  filters: {
    productFamily: "Compute Instance",
    regionCode: region,
    instanceType,
    operatingSystem: os,
    tenancy: "Shared",
    preInstalledSw: "NA",
    capacitystatus: "Used",
    licenseModel: os === "Windows" ? "License Included" : "No License required",
  },
});

export const ebsVolumeQuery = (region: Region, volumeType: VolumeType): PriceQuery => ({
  serviceCode: "AmazonEC2",
  filters: { productFamily: "Storage", regionCode: region, volumeApiName: volumeType },
});

/** How the Price List names the engines and deployments RDS runs. */
export const RDS_ENGINE_NAMES: Record<RdsEngine, string> = { postgres: "PostgreSQL", mysql: "MySQL" };
export type RdsDeployment = "Single-AZ" | "Multi-AZ";
export const RDS_STORAGE_VOLUME_TYPES: Record<RdsStorageType, string> = {
  gp2: "General Purpose",
  gp3: "General Purpose-GP3",
};

export const rdsInstanceQuery = (
  region: Region,
  instanceClass: RdsInstanceClass,
  engine: RdsEngine,
  deployment: RdsDeployment,
): PriceQuery => ({
  serviceCode: "AmazonRDS",
  filters: {
    productFamily: "Database Instance",
    regionCode: region,
    instanceType: instanceClass,
    databaseEngine: RDS_ENGINE_NAMES[engine],
    deploymentOption: deployment,
  },
});

export const rdsStorageQuery = (
  region: Region,
  storageType: RdsStorageType,
  engine: RdsEngine,
  deployment: RdsDeployment,
): PriceQuery => ({
  serviceCode: "AmazonRDS",
  filters: {
    productFamily: "Database Storage",
    regionCode: region,
    volumeType: RDS_STORAGE_VOLUME_TYPES[storageType],
    databaseEngine: RDS_ENGINE_NAMES[engine],
    deploymentOption: deployment,
  },
});

/** S3 Standard: the class a new bucket stores objects in unless told otherwise. */
export const s3StandardQuery = (region: Region): PriceQuery => ({
  serviceCode: "AmazonS3",
  filters: {
    productFamily: "Storage",
    regionCode: region,
    storageClass: "General Purpose",
    volumeType: "Standard",
  },
});
