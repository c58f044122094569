import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPriceSnapshot } from "../../infra/local/pricing/snapshot.ts";
import { ANA, localUsersEnv, signedInCaller } from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

/** Local mode prices from the committed snapshot, through the edge's GetProducts, as AWS from the Price List. */
describe("cost estimates on the local stack", () => {
  const snapshot = loadPriceSnapshot();
  let stack: StackUnderTest;
  beforeAll(async () => {
    stack = await startStack({ env: localUsersEnv() });
  });
  afterAll(() => stack?.destroy());

  it("estimates a database in a second allowed region from the snapshot's prices", async () => {
    const ana = await signedInCaller(stack, ANA.email);

    const answer = await ana.post("/api/estimates", {
      region: "eu-west-1",
      resource: {
        type: "rds",
        engine: "postgres",
        instanceClass: "db.t4g.micro",
        allocatedStorageGiB: 20,
        name: "orders",
      },
    });

    expect(answer.status).toBe(200);
    const euWest1 = snapshot.regions["eu-west-1"];
    const hourly = euWest1?.rds["db.t4g.micro"]?.PostgreSQL?.["Single-AZ"] ?? Number.NaN;
    const storage = euWest1?.rdsStorage.gp3?.["Single-AZ"] ?? Number.NaN;
    expect(answer.body).toMatchObject({
      region: "eu-west-1",
      estimatedMonthlyCostUsd:
        Math.round(Math.round(hourly * 730 * 100) + Math.round(storage * 20 * 100)) / 100,
      costEstimate: { pricesAsOf: snapshot.pricesAsOf },
    });
  });

  it("refuses a region local mode does not allow, naming the allowed ones", async () => {
    const ana = await signedInCaller(stack, ANA.email);

    const answer = await ana.post("/api/estimates", {
      region: "ap-northeast-1",
      resource: { type: "s3", bucketName: "reports" },
    });

    expect(answer).toEqual({
      status: 400,
      body: expect.objectContaining({
        fieldErrors: [{ field: "region", message: "must be one of us-east-1, eu-west-1" }],
      }),
    });
  });
});
