import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPriceSnapshot } from "../../infra/local/pricing/snapshot.ts";
import {
  ANA,
  emailsTo,
  localUsersEnv,
  signedInCaller,
  submit,
  validRequest,
  waitForStatus,
} from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

/** The example policies that approve by the estimate: under $50 a month outright, the rest by people. */
const BY_COST = fileURLToPath(new URL("../../policies/examples/by-cost.json", import.meta.url));

/** A figure in dollars to the cent, as every part of an estimate is rounded before they are added. */
const cents = (usd: number) => Math.round(usd * 100) / 100;

/** Local mode prices from the committed snapshot, through the edge's GetProducts, as AWS from the Price List. */
describe("cost estimates on the local stack", () => {
  const snapshot = loadPriceSnapshot();
  let stack: StackUnderTest;
  beforeAll(async () => {
    stack = await startStack({
      env: { APPROVAL_POLICIES: BY_COST, RDS_CREATE_DELAY_MS: "50", ...localUsersEnv() },
    });
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

  it("accepts a Multi-AZ database with its region's snapshot prices, and one over $50 a month waits for people", async () => {
    const submitted = await submit(
      stack,
      validRequest({
        region: "eu-west-1",
        resource: {
          type: "rds",
          engine: "mysql",
          instanceClass: "db.m7g.large",
          allocatedStorageGiB: 100,
          multiAz: true,
          name: "ledger",
        },
      }),
    );
    expect(submitted.status).toBe(202);

    const pending = await waitForStatus(stack, String(submitted.body.requestId), "PENDING_APPROVAL");

    const euWest1 = snapshot.regions["eu-west-1"];
    const mysql = euWest1?.rds["db.m7g.large"]?.MySQL;
    const singleAz = mysql?.["Single-AZ"] ?? Number.NaN;
    const multiAz = mysql?.["Multi-AZ"] ?? Number.NaN;
    const storage = euWest1?.rdsStorage.gp3?.["Multi-AZ"] ?? Number.NaN;
    // The instance, its standby (what Multi-AZ costs beyond Single-AZ), and storage kept twice.
    const expected = cents(cents(singleAz * 730) + cents((multiAz - singleAz) * 730) + cents(storage * 100));
    expect(expected).toBeGreaterThan(50);
    expect(pending.estimatedMonthlyCostUsd).toBe(expected);
    const accepted = pending.timeline.find((entry) => entry.type === "RequestAccepted");
    expect(accepted?.detail.request).toMatchObject({
      region: "eu-west-1",
      estimatedMonthlyCostUsd: expected,
      costEstimate: { region: "eu-west-1", pricesAsOf: snapshot.pricesAsOf },
    });
    expect(pending.approval).toMatchObject({ policy: { name: "default" } });
  });

  it("auto-approves a database its estimate puts under $50 a month and creates it, asking no approver", async () => {
    const submitted = await submit(
      stack,
      validRequest({
        resource: {
          type: "rds",
          engine: "mysql",
          instanceClass: "db.t4g.micro",
          allocatedStorageGiB: 20,
          name: "cheap",
        },
      }),
    );
    const requestId = String(submitted.body.requestId);

    const provisioned = await waitForStatus(stack, requestId, "PROVISIONED");

    const usEast1 = snapshot.regions["us-east-1"];
    const hourly = usEast1?.rds["db.t4g.micro"]?.MySQL?.["Single-AZ"] ?? Number.NaN;
    const storage = usEast1?.rdsStorage.gp3?.["Single-AZ"] ?? Number.NaN;
    expect(provisioned.estimatedMonthlyCostUsd).toBe(cents(cents(hourly * 730) + cents(storage * 20)));
    const approval = provisioned.timeline.find((entry) => entry.type === "RequestApproved");
    expect(approval?.detail).toMatchObject({
      approver: "policy:cheap",
      reason: "estimated under $50 a month",
    });
    expect(provisioned.database).toMatchObject({ identifier: expect.stringMatching(/^cheap-/) });
    expect(await emailsTo(stack, "approver@example.com", requestId)).toEqual([]);
  });
});
