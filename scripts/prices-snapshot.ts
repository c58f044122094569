import { writeFile } from "node:fs/promises";
import { PricingClient } from "@aws-sdk/client-pricing";
import { RDS_ENGINES, RDS_INSTANCE_CLASSES, RDS_STORAGE_TYPES } from "../events/rds-resource.ts";
import { architectureOf, INSTANCE_TYPES, OS_ARCHITECTURES, VOLUME_TYPES } from "../events/request.ts";
import {
  PRICE_SNAPSHOT_FILE,
  type PriceSnapshot,
  priceSnapshotSchema,
} from "../infra/local/pricing/snapshot.ts";
import { createPriceList, PRICE_LIST_REGION } from "../services/intake/cost/price-list.ts";
import {
  ebsVolumeQuery,
  ec2InstanceQuery,
  type PriceQuery,
  RDS_ENGINE_NAMES,
  rdsInstanceQuery,
  rdsStorageQuery,
  s3StandardQuery,
} from "../services/intake/cost/price-queries.ts";

/**
 * `npm run prices:snapshot`: rebuilds data/prices/aws-on-demand.json, the snapshot local mode answers
 * GetProducts from, by asking the AWS Price List API with the very queries intake's estimate sends.
 * It needs AWS credentials allowed `pricing:GetProducts` (any account; the prices are public), and
 * stops at the first price the list does not have, so a snapshot is never half made.
 */

const REGIONS = [
  "us-east-1",
  "us-east-2",
  "us-west-2",
  "eu-west-1",
  "eu-central-1",
  "ap-northeast-1",
] as const;

/** The Price List's names of regions, which products carry as `location`. */
const LOCATIONS: Record<(typeof REGIONS)[number], string> = {
  "us-east-1": "US East (N. Virginia)",
  "us-east-2": "US East (Ohio)",
  "us-west-2": "US West (Oregon)",
  "eu-west-1": "EU (Ireland)",
  "eu-central-1": "EU (Frankfurt)",
  "ap-northeast-1": "Asia Pacific (Tokyo)",
};

class MissingPriceError extends Error {
  override readonly name = "MissingPriceError";
}

const client = new PricingClient({ region: PRICE_LIST_REGION });
const priceList = createPriceList({ client, now: Date.now });

const priceOf = async (query: PriceQuery): Promise<number> => {
  const answer = await priceList.lookup(query);
  if (answer.kind !== "found") {
    throw new MissingPriceError(`${answer.kind} for ${query.serviceCode} ${JSON.stringify(query.filters)}`);
  }
  return answer.usd;
};

const entriesOf = async <K extends string, V>(keys: readonly K[], value: (key: K) => Promise<V>) =>
  Object.fromEntries(await Promise.all(keys.map(async (key) => [key, await value(key)] as const))) as Record<
    K,
    V
  >;

const regionPrices = async (region: (typeof REGIONS)[number]) => ({
  location: LOCATIONS[region],
  ec2: await entriesOf(INSTANCE_TYPES, async (type) => ({
    Linux: await priceOf(ec2InstanceQuery(region, type, "Linux")),
    // Windows Server images are x86_64 only: Graviton types have no Windows price.
    ...(OS_ARCHITECTURES["windows-server-2022"].includes(architectureOf(type)) && {
      Windows: await priceOf(ec2InstanceQuery(region, type, "Windows")),
    }),
  })),
  ebs: await entriesOf(VOLUME_TYPES, (type) => priceOf(ebsVolumeQuery(region, type))),
  rds: await entriesOf(RDS_INSTANCE_CLASSES, async (instanceClass) =>
    Object.fromEntries(
      await Promise.all(
        RDS_ENGINES.map(async (engine) => [
          RDS_ENGINE_NAMES[engine],
          {
            "Single-AZ": await priceOf(rdsInstanceQuery(region, instanceClass, engine, "Single-AZ")),
            "Multi-AZ": await priceOf(rdsInstanceQuery(region, instanceClass, engine, "Multi-AZ")),
          },
        ]),
      ),
    ),
  ),
  // RDS prices gp2 and gp3 storage alike for PostgreSQL and MySQL: the snapshot keeps PostgreSQL's figure.
  rdsStorage: await entriesOf(RDS_STORAGE_TYPES, async (type) => ({
    "Single-AZ": await priceOf(rdsStorageQuery(region, type, "postgres", "Single-AZ")),
    "Multi-AZ": await priceOf(rdsStorageQuery(region, type, "postgres", "Multi-AZ")),
  })),
  s3Standard: await priceOf(s3StandardQuery(region)),
});

const today = new Date().toISOString().slice(0, 10);
const snapshot: PriceSnapshot = priceSnapshotSchema.parse({
  pricesAsOf: today,
  currency: "USD",
  provenance: [
    `Public on-demand list prices, fetched from the AWS Price List API (GetProducts) on ${today} by \`npm run prices:snapshot\` (scripts/prices-snapshot.ts), with the filters the intake service uses.`,
    "Units: ec2 per instance-hour by OS family; ebs, rdsStorage and s3Standard (first 50 TB tier) per GiB-month; rds per instance-hour by engine and deployment.",
  ],
  regions: await entriesOf(REGIONS, regionPrices),
});
await writeFile(PRICE_SNAPSHOT_FILE, `${JSON.stringify(snapshot, null, 2)}\n`);
client.destroy();
console.log(`${PRICE_SNAPSHOT_FILE}: prices as of ${today} for ${REGIONS.join(", ")}`);
