import "../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { sampleRequest } from "../../test/support/fixtures.ts";
import { UnfitOwedEntryError } from "../shared/outbox.ts";
import { joinTransition, releaseNowTransition } from "./domain.ts";
import { applied, changeLease, createLeaseStore, type LeaseStore } from "./store.ts";
import { leasesTable } from "./tables.ts";

const REMINDERS = [3 * 24 * 3_600_000];
const NOW = new Date("2026-12-08T12:00:00.000Z");

let dynamo: TestDynamo;
let store: LeaseStore;
beforeAll(async () => {
  dynamo = await startTestDynamo([leasesTable]);
  store = createLeaseStore(leasesTable.id, dynamo.document);
});
afterAll(() => dynamo.close());

/** A running lease of a week, its outbox done. */
const runningLease = async (requestId: string) => {
  const start = joinTransition(
    { requestId, version: 0 },
    {
      request: sampleRequest({ requestId }),
      terms: { duration: "P7D", onEnd: "stop", max: "P30D" },
      resource: { type: "ec2", instanceId: "i-0123456789abcdef0", region: "us-east-1" },
      provisionedAt: "2026-12-07T12:00:00.000Z",
    },
    REMINDERS,
    NOW,
  );
  if (!start) throw new Error("the lease did not start");
  await store.put({ ...applied({ requestId, version: 0 }, start, NOW), outbox: {} }, 0);
  return (await store.get(requestId)) ?? { requestId, version: 0 };
};

describe("a change to a lease", () => {
  it("owing an event that can never go out is refused and not written, so the lease is not left stuck", async () => {
    const before = await runningLease("store-unfit");
    // A sign-in may carry an address longer than the 254 characters ReleaseRequested's `by` takes.
    const caller = { email: `${"o".repeat(251)}@example.com`, subject: "sub-long" };

    const change = changeLease(
      store,
      "store-unfit",
      (read) => releaseNowTransition(read, { caller, role: "operator", offsetsMs: REMINDERS, now: NOW }),
      NOW,
    );

    await expect(change).rejects.toThrow(UnfitOwedEntryError);
    await expect(change).rejects.toMatchObject({ cause: { name: "DetailValidationError" } });
    expect(await store.get("store-unfit")).toEqual(before);
  });

  it("names the outbox keys its own write added, after those owed before it", async () => {
    const before = await runningLease("store-keys");
    await store.put(
      { ...before, outbox: { "00000002": { cancel: ["left-over"] } }, version: before.version + 1 },
      before.version,
    );

    const { keys, record } = await changeLease(
      store,
      "store-keys",
      (read) =>
        releaseNowTransition(read, {
          caller: { email: "ops@example.com" },
          role: "operator",
          offsetsMs: REMINDERS,
          now: NOW,
        }),
      NOW,
    );

    expect(keys).toEqual(["00000003", "00000004"]);
    expect(Object.keys(record.outbox ?? {})).toEqual(["00000002", "00000003", "00000004"]);
  });
});
