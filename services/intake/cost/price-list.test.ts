import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPriceList, type TestPriceList } from "../testing/price-list.ts";
import { createPriceList, PriceListError } from "./price-list.ts";
import {
  ebsVolumeQuery,
  ec2InstanceQuery,
  type PriceQuery,
  rdsInstanceQuery,
  rdsStorageQuery,
  s3StandardQuery,
} from "./price-queries.ts";

let prices: TestPriceList;
beforeAll(async () => {
  prices = await startTestPriceList();
});
afterAll(() => prices.close());

/** Counts the GetProducts calls the client makes, to see the cache answer instead. */
const countCalls = () => {
  let calls = 0;
  prices.client.middlewareStack.add(
    (next) => (args) => {
      calls++;
      return next(args);
    },
    { step: "initialize", name: `count-${Math.random()}` },
  );
  return () => calls;
};

describe("the Price List adapter, against the local edge's GetProducts", () => {
  const snapshotOf = (region: string) => {
    const regional = prices.snapshot.regions[region];
    if (!regional) throw new Error(`the snapshot must price ${region}`);
    return regional;
  };

  it.each<[string, () => PriceQuery, () => number | undefined]>([
    [
      "an EC2 instance on Linux",
      () => ec2InstanceQuery("us-east-1", "t3.micro", "Linux"),
      () => snapshotOf("us-east-1").ec2["t3.micro"]?.Linux,
    ],
    [
      "an EC2 instance on Windows",
      () => ec2InstanceQuery("eu-central-1", "m7i.large", "Windows"),
      () => snapshotOf("eu-central-1").ec2["m7i.large"]?.Windows,
    ],
    [
      "an EBS volume",
      () => ebsVolumeQuery("ap-northeast-1", "sc1"),
      () => snapshotOf("ap-northeast-1").ebs.sc1,
    ],
    [
      "an RDS instance, Multi-AZ",
      () => rdsInstanceQuery("us-west-2", "db.r7g.xlarge", "mysql", "Multi-AZ"),
      () => snapshotOf("us-west-2").rds["db.r7g.xlarge"]?.MySQL?.["Multi-AZ"],
    ],
    [
      "RDS storage",
      () => rdsStorageQuery("eu-west-1", "gp2", "postgres", "Single-AZ"),
      () => snapshotOf("eu-west-1").rdsStorage.gp2?.["Single-AZ"],
    ],
    [
      "S3 Standard storage, at its first tier",
      () => s3StandardQuery("us-east-2"),
      () => snapshotOf("us-east-2").s3Standard,
    ],
  ])("finds the on-demand price of %s", async (_what, query, expected) => {
    const price = expected();
    expect(price).toBeGreaterThan(0);

    await expect(prices.priceList.lookup(query())).resolves.toEqual({
      kind: "found",
      usd: price,
      publishedOn: prices.snapshot.pricesAsOf,
    });
  });

  it("finds no price for a product the list does not have, nor for a filter on an attribute no product has", async () => {
    await expect(
      prices.priceList.lookup(ec2InstanceQuery("us-east-1", "t4g.micro", "Windows")),
    ).resolves.toEqual({
      kind: "not-listed",
    });
    await expect(
      prices.priceList.lookup(ec2InstanceQuery("sa-east-1", "t3.micro", "Linux")),
    ).resolves.toEqual({
      kind: "not-listed",
    });
    await expect(
      prices.priceList.lookup({
        serviceCode: "AmazonS3",
        filters: { regionCode: "us-east-1", noSuchAttribute: "x" },
      }),
    ).resolves.toEqual({ kind: "not-listed" });
  });

  it("says the filters are ambiguous when they match products of different prices", async () => {
    const everyVolume = {
      serviceCode: "AmazonEC2",
      filters: { productFamily: "Storage", regionCode: "us-east-1" },
    } as const;

    await expect(prices.priceList.lookup(everyVolume)).resolves.toMatchObject({ kind: "ambiguous" });
  });

  it("asks once per filter set while the answer is fresh, and again once it is not", async () => {
    let now = 0;
    const calls = countCalls();
    const priceList = createPriceList({ client: prices.client, now: () => now, ttlMs: 1000 });
    const query = s3StandardQuery("eu-central-1");

    await priceList.lookup(query);
    await priceList.lookup({ serviceCode: query.serviceCode, filters: { ...query.filters } });
    expect(calls()).toBe(1);

    now = 1001;
    await priceList.lookup(query);
    expect(calls()).toBe(2);
  });

  it("throws a PriceListError with the SDK's error as its cause when the Price List refuses the call, and keeps nothing", async () => {
    const calls = countCalls();
    const priceList = createPriceList({ client: prices.client, now: () => 0 });
    // The Price List codes services as AmazonEC2; a blank code is refused.
    const refused: PriceQuery = { serviceCode: "" as "AmazonEC2", filters: {} };

    const failure = priceList.lookup(refused);

    await expect(failure).rejects.toBeInstanceOf(PriceListError);
    await expect(failure).rejects.toMatchObject({ cause: { name: "InvalidParameterException" } });
    await expect(priceList.lookup(refused)).rejects.toBeInstanceOf(PriceListError);
    expect(calls()).toBe(2);
  });
});
