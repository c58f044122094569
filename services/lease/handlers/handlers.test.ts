import "../../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventContract } from "../../../events/contract.ts";
import {
  ExtensionDecided,
  LeaseExpiring,
  LeaseExtended,
  LeaseStarted,
  LeaseTimerDue,
  ReleaseRequested,
  ResourceReleased,
} from "../../../events/lease-events.ts";
import { RequestApproved } from "../../../events/request-approved.ts";
import { ResourceProvisioned } from "../../../events/resource-provisioned.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { manualClock, silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf, sampleRequest } from "../../../test/support/fixtures.ts";
import { recordingPublisher } from "../../../test/support/recording-publisher.ts";
import { recordingSchedules } from "../../../test/support/recording-schedules.ts";
import type { TimerDue } from "../domain.ts";
import { leaseNewsSchema } from "../news.ts";
import { createOutboxPublisher } from "../outbox.ts";
import { createLeaseStore, type LeaseStore } from "../store.ts";
import { leasesTable } from "../tables.ts";
import { createLeaseNewsHandler } from "./on-lease-news.ts";
import { createLeaseTimerDueHandler } from "./on-lease-timer-due.ts";
import { createOutboxSweeper } from "./outbox-sweeper.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const REMINDERS = [3 * DAY, DAY, 2 * HOUR];
const INSTANCE_ID = "i-0123456789abcdef0";

let dynamo: TestDynamo;
let store: LeaseStore;
beforeAll(async () => {
  dynamo = await startTestDynamo([leasesTable]);
  store = createLeaseStore(leasesTable.id, dynamo.document);
});
afterAll(() => dynamo.close());

let requestCount = 0;

/** The lease service's handlers around the real table, a recording bus and Scheduler, for one fresh request. */
const setUp = () => {
  const requestId = `lease-${++requestCount}`;
  const request = sampleRequest({ requestId });
  const clock = manualClock(new Date("2026-12-07T12:00:00.000Z"));
  const bus = recordingPublisher();
  const schedules = recordingSchedules();
  const logger = silentLogger();
  const publishOwed = createOutboxPublisher({ publisher: bus, schedules, store, now: clock.now, logger });
  const deps = { store, publishOwed, reminderOffsetsMs: REMINDERS, now: clock.now, logger };
  const onNews = createLeaseNewsHandler({
    ...deps,
    limits: { default: "P7D", max: "P90D" },
    stackRegion: "us-east-1",
  });
  const onTimer = createLeaseTimerDueHandler(deps);
  const sweep = createOutboxSweeper(deps);
  const deliver = (contract: EventContract, detail: unknown) =>
    onNews(leaseNewsSchema.parse(envelopeOf(contract, detail)));
  const approve = () =>
    deliver(RequestApproved, {
      requestId,
      request,
      lease: { duration: "P7D", onEnd: "stop", max: "P30D" },
      approver: "approver@example.com",
      decidedAt: clock.now().toISOString(),
    });
  const provision = () =>
    deliver(ResourceProvisioned, {
      requestId,
      request,
      instanceId: INSTANCE_ID,
      provisionedAt: "2026-12-07T12:00:00.000Z",
    });
  /** The timer as Scheduler would put it on the bus, from the schedule of that name. */
  const due = (name: string): TimerDue => {
    const schedule = schedules.pending.get(`${requestId}.${name}`);
    if (!schedule) throw new Error(`no schedule ${name} is waiting`);
    return schedule.detail as unknown as TimerDue;
  };
  return { requestId, request, clock, bus, schedules, approve, provision, deliver, onTimer, sweep, due };
};

describe("a lease starting", () => {
  it("starts once the request is approved and its resource provisioned, in either order, once", async () => {
    for (const order of ["approved first", "provisioned first"]) {
      const { requestId, bus, schedules, approve, provision } = setUp();
      const [first, second] = order === "approved first" ? [approve, provision] : [provision, approve];

      await first();
      expect(bus.published, order).toEqual([]);
      await second();
      await second();
      await first();

      expect(bus.detailsOf(LeaseStarted), order).toEqual([
        {
          requestId,
          request: expect.objectContaining({ requestId }),
          resource: { type: "ec2", instanceId: INSTANCE_ID, region: "us-east-1" },
          terms: { duration: "P7D", onEnd: "stop", max: "P30D" },
          startedAt: "2026-12-07T12:00:00.000Z",
          endsAt: "2026-12-14T12:00:00.000Z",
        },
      ]);
      expect([...schedules.pending.keys()], order).toEqual([
        `${requestId}.lease-reminder-1`,
        `${requestId}.lease-reminder-2`,
        `${requestId}.lease-reminder-3`,
        `${requestId}.lease-end`,
      ]);
      expect((await store.get(requestId))?.outbox, order).toEqual({});
    }
  });

  it("still announces and schedules it when the bus failed after its write: the sweeper does, not a redelivery", async () => {
    const { requestId, clock, bus, schedules, approve, provision, sweep } = setUp();
    await approve();
    bus.failNext();

    await provision();
    await provision();
    expect(bus.detailsOf(LeaseStarted)).toEqual([]);
    expect(schedules.pending.size).toBe(0);
    clock.advance(5 * 60);
    await sweep();

    expect(bus.detailsOf(LeaseStarted)).toHaveLength(1);
    expect(schedules.pending.has(`${requestId}.lease-end`)).toBe(true);
    expect((await store.get(requestId))?.sweepTask).toBeUndefined();
  });
});

describe("a lease's timers when due", () => {
  it("remind the requester once per reminder, however often one is delivered", async () => {
    const { requestId, bus, approve, provision, onTimer, due } = setUp();
    await approve();
    await provision();

    await onTimer(due("lease-reminder-2"));
    await onTimer(due("lease-reminder-2"));

    expect(bus.detailsOf(LeaseExpiring)).toEqual([
      expect.objectContaining({ requestId, n: 2, endsAt: "2026-12-14T12:00:00.000Z", onEnd: "stop" }),
    ]);
  });

  it("end the lease once: RELEASING, and ReleaseRequested with the terms' action, even when its first publish was lost", async () => {
    const { requestId, clock, bus, approve, provision, onTimer, sweep, due } = setUp();
    await approve();
    await provision();
    const end = due("lease-end");
    bus.failNext();

    await onTimer(end);
    await onTimer(end);
    expect(bus.detailsOf(ReleaseRequested)).toEqual([]);
    clock.advance(5 * 60);
    await sweep();
    await onTimer(end);

    expect(bus.detailsOf(ReleaseRequested)).toEqual([
      expect.objectContaining({ requestId, action: "stop", reason: "lease-ended" }),
    ]);
    expect((await store.get(requestId))?.status).toBe("RELEASING");
  });
});

describe("an extension decided", () => {
  it("approved, moves the end and its timers, and announces it; the old end's timer then does nothing", async () => {
    const { requestId, request, bus, schedules, approve, provision, deliver, onTimer, due } = setUp();
    await approve();
    await provision();
    const oldEnd = due("lease-end");
    await store.put(
      {
        ...((await store.get(requestId)) ?? { requestId, version: 0 }),
        pendingExtension: {
          n: 1,
          from: "2026-12-14T12:00:00.000Z",
          until: "2026-12-21T12:00:00.000Z",
          justification: "Release week",
          askedBy: { email: "ana@example.com" },
          askedAt: "2026-12-07T12:00:00.000Z",
        },
        extensions: 1,
        version: 100,
      },
      (await store.get(requestId))?.version ?? 0,
    );

    const decided = {
      requestId,
      request,
      extension: {
        n: 1,
        from: "2026-12-14T12:00:00.000Z",
        until: "2026-12-21T12:00:00.000Z",
        justification: "Release week",
      },
      approved: true,
      decider: "approver@example.com",
      decidedAt: "2026-12-08T12:00:00.000Z",
    };
    await deliver(ExtensionDecided, decided);
    await deliver(ExtensionDecided, decided);
    await onTimer(oldEnd);

    expect(bus.detailsOf(LeaseExtended)).toEqual([
      expect.objectContaining({
        previousEndsAt: "2026-12-14T12:00:00.000Z",
        endsAt: "2026-12-21T12:00:00.000Z",
        decider: "approver@example.com",
      }),
    ]);
    expect(schedules.pending.get(`${requestId}.lease-end`)?.at).toEqual(new Date("2026-12-21T12:00:00.000Z"));
    expect(bus.detailsOf(ReleaseRequested)).toEqual([]);
  });
});

describe("a stale end timer", () => {
  it("made again by a slow writer after the end moved is owed again at the lease's end, so the lease still ends", async () => {
    const { requestId, request, bus, schedules, approve, provision, deliver, onTimer, due } = setUp();
    await approve();
    await provision();
    const oldEnd = due("lease-end");
    await store.put(
      {
        ...((await store.get(requestId)) ?? { requestId, version: 0 }),
        pendingExtension: {
          n: 1,
          from: "2026-12-14T12:00:00.000Z",
          until: "2026-12-21T12:00:00.000Z",
          justification: "Release week",
          askedBy: { email: "ana@example.com" },
          askedAt: "2026-12-07T12:00:00.000Z",
        },
        extensions: 1,
        version: 200,
      },
      (await store.get(requestId))?.version ?? 0,
    );
    await deliver(ExtensionDecided, {
      requestId,
      request,
      extension: {
        n: 1,
        from: oldEnd.endsAt,
        until: "2026-12-21T12:00:00.000Z",
        justification: "Release week",
      },
      approved: true,
      decider: "policy:default",
      decidedAt: "2026-12-08T12:00:00.000Z",
    });
    // The slow writer: its make of the old end lands after the extension moved it.
    await schedules.scheduleOnce({
      name: `${requestId}.lease-end`,
      at: new Date(oldEnd.dueAt),
      contract: LeaseTimerDue,
      detail: oldEnd,
    });

    await onTimer(due("lease-end"));
    expect(bus.detailsOf(ReleaseRequested)).toEqual([]);
    expect(schedules.pending.get(`${requestId}.lease-end`)?.at).toEqual(new Date("2026-12-21T12:00:00.000Z"));
    await onTimer(due("lease-end"));

    expect(bus.detailsOf(ReleaseRequested)).toEqual([
      expect.objectContaining({ requestId, reason: "lease-ended" }),
    ]);
  });
});

describe("a release's outcome", () => {
  it("makes the lease RELEASED", async () => {
    const { requestId, request, approve, provision, deliver, onTimer, due } = setUp();
    await approve();
    await provision();
    await onTimer(due("lease-end"));

    await deliver(ResourceReleased, {
      requestId,
      request,
      resource: { type: "ec2", instanceId: INSTANCE_ID, region: "us-east-1" },
      action: "stop",
      outcome: "stopped",
      reason: "lease-ended",
      releaseRequestedAt: "2026-12-07T12:00:00.000Z",
      releasedAt: "2026-12-14T12:01:00.000Z",
    });

    expect(await store.get(requestId)).toMatchObject({
      status: "RELEASED",
      outcome: { released: true, outcome: "stopped", releasedAt: "2026-12-14T12:01:00.000Z" },
    });
  });

  it("of a resource ended outside this tool while its lease ran makes it RELEASED and takes its timers back", async () => {
    const { requestId, request, schedules, approve, provision, deliver } = setUp();
    await approve();
    await provision();

    await deliver(ResourceReleased, {
      requestId,
      request,
      resource: { type: "ec2", instanceId: INSTANCE_ID, region: "us-east-1" },
      action: "stop",
      outcome: "terminated",
      reason: "ended-outside",
      releasedAt: "2026-12-09T08:00:00.000Z",
    });

    expect(await store.get(requestId)).toMatchObject({
      status: "RELEASED",
      release: { reason: "ended-outside" },
    });
    expect(schedules.pending.size).toBe(0);
  });
});

describe("the sweeper", () => {
  it("does what a lease's outbox still holds once its writer had its chance, and nothing sooner", async () => {
    const { requestId, clock, bus, approve, provision, sweep } = setUp();
    await approve();
    bus.failNext();
    await provision();

    await sweep();
    expect(bus.detailsOf(LeaseStarted)).toEqual([]);
    clock.advance(5 * 60);
    await sweep();

    expect(bus.detailsOf(LeaseStarted)).toHaveLength(1);
    expect((await store.get(requestId))?.sweepTask).toBeUndefined();
  });
});
