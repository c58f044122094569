import { describe, expect, it } from "vitest";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { RequestRejected } from "../../events/request-rejected.ts";
import { sampleRequest } from "../../test/support/fixtures.ts";
import { recordingPublisher } from "../../test/support/recording-publisher.ts";
import { recordingSchedules } from "../../test/support/recording-schedules.ts";
import { recordingMetrics } from "../shared/testing/metrics.ts";
import { createOutboxPublisher, type OwedEntry, outboxEntries, owed } from "./outbox.ts";

const AT = "2026-03-01T10:00:02.000Z";
const BEFORE = () => new Date("2026-03-01T10:00:00.000Z");
const request = sampleRequest({ requestId: "req-outbox" });

const expiry = (): OwedEntry => ({
  schedule: {
    name: "req-outbox.expiry-0-0",
    at: AT,
    detail: { requestId: request.requestId, kind: "expiry", stage: 0, dueAt: AT },
  },
});

const expired = (): OwedEntry =>
  owed(RequestExpired, { requestId: request.requestId, request, expiresAt: AT, expiredAt: AT });

/** The outbox's store as far as the publisher uses it: what it marked published. */
const markingStore = () => {
  const marked: string[] = [];
  return {
    marked,
    markPublished: async (_requestId: string, keys: readonly string[]) => {
      marked.push(...keys);
    },
  };
};

describe("the outbox publisher", () => {
  it("makes owed schedules, takes back cancelled ones and publishes events, in the order they are owed", async () => {
    const publisher = recordingPublisher();
    const schedules = recordingSchedules();
    const store = markingStore();
    const publish = createOutboxPublisher({ publisher, schedules, store, now: BEFORE });
    const outbox = outboxEntries(0, [expiry(), expired(), { cancel: ["req-outbox.expiry-0-0"] }]);

    await publish({ requestId: request.requestId, outbox });

    expect(schedules.made.map(({ name, at, detailType }) => ({ name, at, detailType }))).toEqual([
      { name: "req-outbox.expiry-0-0", at: new Date(AT), detailType: "ApprovalTimerDue" },
    ]);
    expect(publisher.published.map(({ detailType }) => detailType)).toEqual(["RequestExpired"]);
    expect(schedules.cancelled).toEqual(["req-outbox.expiry-0-0"]);
    expect(schedules.pending.size).toBe(0);
    expect(store.marked).toEqual(["00000000", "00000001", "00000002"]);
  });

  it("stops at an entry that fails, leaving it and those after it owed", async () => {
    const publisher = recordingPublisher();
    const schedules = recordingSchedules();
    const store = markingStore();
    const publish = createOutboxPublisher({ publisher, schedules, store, now: () => new Date(AT) });
    publisher.failNext();

    await expect(
      publish({ requestId: request.requestId, outbox: outboxEntries(0, [expiry(), expired(), expiry()]) }),
    ).rejects.toThrow("EventBridge is unreachable");

    expect(store.marked).toEqual(["00000000"]);
    expect(schedules.made).toHaveLength(1);
  });

  it("makes a schedule owed for a moment already past a second from now, so that it still fires", async () => {
    const schedules = recordingSchedules();
    const publish = createOutboxPublisher({
      publisher: recordingPublisher(),
      schedules,
      store: markingStore(),
      now: () => new Date("2026-03-01T10:05:00.000Z"),
    });

    await publish({ requestId: request.requestId, outbox: outboxEntries(0, [expiry()]) });

    expect(schedules.made.map(({ at }) => at)).toEqual([new Date("2026-03-01T10:05:01.000Z")]);
  });
});

describe("the outcome metrics", () => {
  const OPENED_AT = "2026-03-01T09:00:00.000Z";
  const DECIDED_AT = "2026-03-01T09:30:00.000Z";
  const approved = () =>
    owed(RequestApproved, {
      requestId: request.requestId,
      request,
      approver: "bob@example.com",
      decidedAt: DECIDED_AT,
    });
  const rejected = () =>
    owed(RequestRejected, {
      requestId: request.requestId,
      request,
      approver: "bob@example.com",
      reason: "Too large for a test",
      decidedAt: DECIDED_AT,
    });

  const publisherCounting = (publisher = recordingPublisher()) => {
    const metrics = recordingMetrics();
    const publish = createOutboxPublisher({
      publisher,
      schedules: recordingSchedules(),
      store: markingStore(),
      now: BEFORE,
      metrics,
    });
    return { metrics, publish };
  };

  it("count an approval decided, with its outcome and the time from the approval's opening to the decision", async () => {
    const { metrics, publish } = publisherCounting();

    await publish({
      requestId: request.requestId,
      createdAt: OPENED_AT,
      outbox: outboxEntries(0, [expiry(), approved()]),
    });

    expect(metrics.recorded).toEqual([
      { metric: "ApprovalsDecided", value: 1, dimensions: { outcome: "approved" } },
      { metric: "TimeToDecision", value: 30 * 60 * 1000 },
    ]);
  });

  it("count a rejection as decided with its outcome, and an expiry as expired", async () => {
    const { metrics, publish } = publisherCounting();

    await publish({
      requestId: request.requestId,
      createdAt: OPENED_AT,
      outbox: outboxEntries(0, [rejected()]),
    });
    await publish({
      requestId: request.requestId,
      createdAt: OPENED_AT,
      outbox: outboxEntries(1, [expired()]),
    });

    expect(metrics.recorded).toEqual([
      { metric: "ApprovalsDecided", value: 1, dimensions: { outcome: "rejected" } },
      { metric: "TimeToDecision", value: 30 * 60 * 1000 },
      { metric: "ApprovalsExpired", value: 1 },
    ]);
  });

  it("count nothing until the outcome is on the bus, and the sweeper's publication then counts it once", async () => {
    const publisher = recordingPublisher();
    const { metrics, publish } = publisherCounting(publisher);
    const owedByApproval = {
      requestId: request.requestId,
      createdAt: OPENED_AT,
      outbox: outboxEntries(0, [approved()]),
    };
    publisher.failNext();

    await expect(publish(owedByApproval)).rejects.toThrow("EventBridge is unreachable");
    expect(metrics.recorded).toEqual([]);
    await publish(owedByApproval);

    expect(metrics.recorded.map(({ metric }) => metric)).toEqual(["ApprovalsDecided", "TimeToDecision"]);
  });
});
