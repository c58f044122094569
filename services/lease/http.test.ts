import "../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExtensionRequested, ReleaseRequested } from "../../events/lease-events.ts";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { manualClock, silentLogger } from "../../test/support/fakes.ts";
import { sampleRequest } from "../../test/support/fixtures.ts";
import { recordingPublisher } from "../../test/support/recording-publisher.ts";
import { recordingSchedules } from "../../test/support/recording-schedules.ts";
import {
  APPROVER,
  OPERATOR,
  REQUESTER,
  startTestIdentityProvider,
  type TestIdentityProvider,
  type TestUser,
} from "../shared/testing/access-tokens.ts";
import { joinTransition, releaseOutcomeTransition } from "./domain.ts";
import { createLeaseApp } from "./http.ts";
import { createOutboxPublisher } from "./outbox.ts";
import { applied, createLeaseStore, type LeaseStore } from "./store.ts";
import { leasesTable } from "./tables.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const REMINDERS = [3 * DAY, DAY, 2 * HOUR];
const PROVISIONED_AT = "2026-12-07T12:00:00.000Z";
/** Another requester, who may neither see nor touch Ana's lease. */
const BOB: TestUser = { email: "bob@example.com", name: "Bob", groups: ["requesters"] };

let dynamo: TestDynamo;
let store: LeaseStore;
let identityProvider: TestIdentityProvider;
beforeAll(async () => {
  dynamo = await startTestDynamo([leasesTable]);
  store = createLeaseStore(leasesTable.id, dynamo.document);
  identityProvider = await startTestIdentityProvider();
});
afterAll(() => dynamo.close());

let requestCount = 0;

/** The lease app around the real table, with a running lease of REQUESTER's (7 days, ending in a stop). */
const leaseApi = async ({ running = true } = {}) => {
  const requestId = `http-lease-${++requestCount}`;
  const request = sampleRequest({ requestId, requester: { email: REQUESTER.email, name: "Ana" } });
  const clock = manualClock(new Date("2026-12-08T12:00:00.000Z"));
  const start = joinTransition(
    { requestId, version: 0 },
    {
      request,
      terms: { duration: "P7D", onEnd: "stop", max: "P30D" },
      ...(running && {
        resource: { type: "ec2" as const, instanceId: "i-0123456789abcdef0", region: "us-east-1" },
        provisionedAt: PROVISIONED_AT,
      }),
    },
    REMINDERS,
    clock.now(),
  );
  if (!start) throw new Error("the lease did not join");
  await store.put({ ...applied({ requestId, version: 0 }, start, clock.now()), outbox: {} }, 0);
  const bus = recordingPublisher();
  const schedules = recordingSchedules();
  const app = createLeaseApp({
    store,
    publishOwed: createOutboxPublisher({
      publisher: bus,
      schedules,
      store,
      now: clock.now,
      logger: silentLogger(),
    }),
    leaseMin: "PT1H",
    leaseMax: "P30D",
    reminderOffsetsMs: REMINDERS,
    now: clock.now,
    logger: silentLogger(),
    verifyAccessToken: identityProvider.verifyAccessToken,
  });
  const call = async (user: TestUser, action: "extend" | "release", body?: unknown, id = requestId) => {
    const response = await app.request(`/api/requests/${id}/${action}`, {
      method: "POST",
      headers: {
        ...(await identityProvider.authorizationOf(user)),
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() };
  };
  return { requestId, bus, schedules, clock, call };
};

const WEEK_MORE = { by: "P7D", justification: "The release slipped a week" };

/** The launcher's ReleaseFailed of the lease's release (a bucket kept, with `kept`), as the lease records it. */
const releaseFailed = async (requestId: string, { kept }: { kept: boolean }) => {
  const record = await store.get(requestId);
  if (!record?.request || !record.resource || !record.release)
    throw new Error(`${requestId} is not releasing`);
  const transition = releaseOutcomeTransition(
    record,
    {
      released: false,
      requestId,
      request: record.request,
      resource: record.resource,
      action: record.release.action,
      reason: record.release.reason,
      problem: kept ? "the bucket holds objects; it was kept" : "still running after 3 checks",
      kept,
      attempts: 1,
      releaseRequestedAt: record.release.requestedAt,
      failedAt: "2026-12-08T12:05:00.000Z",
    },
    REMINDERS,
  );
  if (!transition) throw new Error(`${requestId} took no failure`);
  await store.put(applied(record, transition, new Date("2026-12-08T12:05:00.000Z")), record.version);
};

describe("asking for an extension", () => {
  it("by the requester is asked of the policies, and answered 202 with the end asked for", async () => {
    const { requestId, bus, call } = await leaseApi();

    const asked = await call(REQUESTER, "extend", WEEK_MORE);

    expect(asked).toEqual({
      status: 202,
      body: {
        requestId,
        n: 1,
        from: "2026-12-14T12:00:00.000Z",
        until: "2026-12-21T12:00:00.000Z",
        status: "REQUESTED",
      },
    });
    expect(bus.detailsOf(ExtensionRequested)).toEqual([
      expect.objectContaining({
        requestId,
        extension: expect.objectContaining({
          n: 1,
          justification: WEEK_MORE.justification,
          askedBy: { email: REQUESTER.email, subject: `sub-${REQUESTER.email}` },
        }),
        startedAt: PROVISIONED_AT,
      }),
    ]);
  });

  it("is refused with 409 while another waits for its decision", async () => {
    const { call } = await leaseApi();
    await call(REQUESTER, "extend", WEEK_MORE);

    const second = await call(REQUESTER, "extend", WEEK_MORE);

    expect(second.status).toBe(409);
    expect(second.body.error).toContain("waiting for its decision");
  });

  it("is refused with 400 naming by when the lease would run longer than LEASE_MAX", async () => {
    const { bus, call } = await leaseApi();

    const refused = await call(REQUESTER, "extend", { ...WEEK_MORE, by: "P30D" });

    expect(refused.status).toBe(400);
    expect(refused.body.fieldErrors).toEqual([
      { field: "by", message: expect.stringContaining("longer than the P30D (LEASE_MAX)") },
    ]);
    expect(bus.published).toEqual([]);
  });

  it.each([
    ["past any date there is", "P99999999D"],
    ["past any date there is, in hours", "PT99999999999999999999H"],
  ])("is refused with 400 naming by when it ends %s", async (_, by) => {
    const { bus, call } = await leaseApi();

    const refused = await call(REQUESTER, "extend", { ...WEEK_MORE, by });

    expect(refused.status).toBe(400);
    expect(refused.body.fieldErrors).toEqual([
      { field: "by", message: expect.stringContaining("longer than the P30D (LEASE_MAX)") },
    ]);
    expect(bus.published).toEqual([]);
  });

  it("is refused with 400 naming by when it adds less than LEASE_MIN", async () => {
    const { requestId, bus, call } = await leaseApi();

    const refused = await call(REQUESTER, "extend", { ...WEEK_MORE, by: "PT0.0005S" });

    expect(refused.status).toBe(400);
    expect(refused.body.fieldErrors).toEqual([
      { field: "by", message: "is shorter than the PT1H (LEASE_MIN) an extension adds at the least" },
    ]);
    expect(bus.published).toEqual([]);
    expect((await store.get(requestId))?.pendingExtension).toBeUndefined();
  });

  it("by an operator answers 404, as for an unknown id: only the requester extends their lease", async () => {
    const { requestId, bus, call } = await leaseApi();

    const refused = await call(OPERATOR, "extend", WEEK_MORE);

    expect(refused).toEqual({
      status: 404,
      body: { error: `No leased request ${requestId} of yours was found.` },
    });
    expect(bus.published).toEqual([]);
  });

  it("is refused with 409 before the resource is provisioned", async () => {
    const { call } = await leaseApi({ running: false });

    const refused = await call(REQUESTER, "extend", WEEK_MORE);

    expect(refused.status).toBe(409);
    expect(refused.body.error).toContain("not provisioned yet");
  });
});

describe("releasing now", () => {
  it("by the requester releases as the terms say, takes the timers back and answers 202", async () => {
    const { requestId, bus, schedules, call } = await leaseApi();

    const released = await call(REQUESTER, "release", { reason: "Done early" });

    expect(released).toEqual({
      status: 202,
      body: { requestId, status: "RELEASING", action: "stop", reason: "released-by-requester" },
    });
    expect(bus.detailsOf(ReleaseRequested)).toEqual([
      expect.objectContaining({
        requestId,
        action: "stop",
        reason: "released-by-requester",
        by: { email: REQUESTER.email, subject: `sub-${REQUESTER.email}` },
        note: "Done early",
      }),
    ]);
    expect(schedules.cancelled).toContain(`${requestId}.lease-end`);
  });

  it("by an operator, with no body, is a release by an operator", async () => {
    const { call } = await leaseApi();

    const released = await call(OPERATOR, "release");

    expect(released.status).toBe(202);
    expect(released.body.reason).toBe("released-by-operator");
  });

  it("a second time is refused with 409 naming the state", async () => {
    const { bus, call } = await leaseApi();
    await call(REQUESTER, "release");

    const again = await call(OPERATOR, "release");

    expect(again.status).toBe(409);
    expect(again.body.error).toContain("it is being released");
    expect(bus.detailsOf(ReleaseRequested)).toHaveLength(1);
  });

  it.each([
    ["failed", false],
    ["kept the resource", true],
  ])(
    "again after the release %s, by the requester or an operator, asks for it again with the same action",
    async (_, kept) => {
      const { requestId, bus, clock, call } = await leaseApi();
      await call(REQUESTER, "release");
      await releaseFailed(requestId, { kept });
      clock.advance(HOUR / 1000);

      const again = await call(OPERATOR, "release", { reason: "Emptied it" });
      const refused = await call(REQUESTER, "release");

      expect(again).toEqual({
        status: 202,
        body: { requestId, status: "RELEASING", action: "stop", reason: "released-by-operator" },
      });
      expect(refused.status).toBe(409);
      expect(bus.detailsOf(ReleaseRequested)).toMatchObject([
        { action: "stop", reason: "released-by-requester", requestedAt: "2026-12-08T12:00:00.000Z" },
        {
          action: "stop",
          reason: "released-by-operator",
          note: "Emptied it",
          requestedAt: "2026-12-08T13:00:00.000Z",
        },
      ]);
      expect(await store.get(requestId)).toMatchObject({ status: "RELEASING" });
      expect((await store.get(requestId))?.outcome).toBeUndefined();
    },
  );

  it("answers 202 when the bus is down: the release is written and owed, for the sweeper", async () => {
    const { requestId, bus, call } = await leaseApi();
    bus.failNext();

    expect((await call(REQUESTER, "release")).status).toBe(202);
    expect(bus.detailsOf(ReleaseRequested)).toEqual([]);
    expect(await store.get(requestId)).toMatchObject({ status: "RELEASING", sweepTask: "PUBLISH" });
  });
});

describe("someone else's lease", () => {
  it("answers 404 to another requester and to an approver, exactly as an unknown id does", async () => {
    const { bus, call } = await leaseApi();

    const answers = [
      await call(BOB, "release"),
      await call(APPROVER, "extend", WEEK_MORE),
      await call(REQUESTER, "release", undefined, "no-such-request"),
    ];

    expect(answers.map(({ status }) => status)).toEqual([404, 404, 404]);
    for (const { body } of answers)
      expect(body.error).toMatch(/^No leased request [\w-]+ of yours was found\.$/);
    expect(bus.published).toEqual([]);
  });
});
