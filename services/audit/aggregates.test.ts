import "../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestView, TimelineEntry } from "../../api/schemas.ts";
import {
  type EventContract,
  RequestApproved,
  RequestRejected,
  ResourceProvisioned,
} from "../../events/index.ts";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { silentLogger } from "../../test/support/fakes.ts";
import { sampleDatabaseEstimate, sampleDatabaseRequest, sampleRequest } from "../../test/support/fixtures.ts";
import {
  type Counter,
  DECISION_BUCKETS_MINUTES,
  dashboardOf,
  incrementsOf,
  percentileOf,
} from "./aggregates.ts";
import type { AggregatesStore } from "./aggregates-store.ts";
import { auditRecordOf } from "./domain.ts";
import { createFlowEventHandler } from "./handlers/on-flow-event.ts";
import { tables } from "./tables.ts";
import { failedFlow, provisionedFlow, rejectedFlow } from "./testing/flows.ts";
import { testAggregatesStore, testAuditStore } from "./testing/store.ts";

const START = "2025-07-01T08:00:00Z";
const DAY = { from: "2025-07-01", to: "2025-07-01" };

const entryOf = (contract: EventContract, detail: object, time: string): TimelineEntry => ({
  eventId: `${contract.detailType}-${time}`,
  type: contract.detailType,
  time,
  source: contract.source,
  detail,
});

const decision = (contract: EventContract, approver: string, decidedAt: string) =>
  entryOf(
    contract,
    { requestId: "req-1", request: sampleRequest(), approver, reason: "ok", decidedAt },
    decidedAt,
  );

describe("what an event adds to the counters", () => {
  it("counts a person's approval under its status and its day, with the minutes since submission", () => {
    expect(incrementsOf(decision(RequestApproved, "abe@example.com", "2025-07-02T09:20:00Z"), START)).toEqual(
      [
        { day: "2025-07-02", metric: "status", dimension: "APPROVED", by: 1 },
        // 25 h 20 min: in the bucket up to two days.
        { day: "2025-07-02", metric: "decision-minutes", dimension: "2880", by: 1 },
      ],
    );
  });

  it("leaves a policy's decision out of the time to decision, which it would shorten to nothing", () => {
    expect(incrementsOf(decision(RequestRejected, "policy:deny-gpu", "2025-07-01T08:00:01Z"), START)).toEqual(
      [{ day: "2025-07-01", metric: "status", dimension: "REJECTED", by: 1 }],
    );
  });

  it("adds a provisioned resource's estimated monthly cost to its requester (in lower case) and its type", () => {
    const request = {
      ...sampleDatabaseRequest({ requester: { email: "Ana@Example.com", name: "Ana" } }),
      ...sampleDatabaseEstimate(),
    };
    const provisioned = provisionedFlow(request, START)
      .map((envelope) => auditRecordOf(envelope).entry)
      .find(({ type }) => type === ResourceProvisioned.detailType) as TimelineEntry;
    expect(incrementsOf(provisioned, START)).toEqual([
      { day: "2025-07-01", metric: "status", dimension: "PROVISIONED", by: 1 },
      { day: "2025-07-01", metric: "cost-by-requester", dimension: "ana@example.com", by: 13.98 },
      { day: "2025-07-01", metric: "cost-by-type", dimension: "rds", by: 13.98 },
    ]);
  });

  it("adds nothing for events that bring a request to no status of the dashboard's", () => {
    const [requested, , asked] = provisionedFlow(sampleRequest(), START).map(auditRecordOf);
    expect(incrementsOf(requested?.entry as TimelineEntry, START)).toEqual([]);
    expect(incrementsOf(asked?.entry as TimelineEntry, START)).toEqual([]);
  });
});

describe("percentiles of a time-to-decision histogram", () => {
  /** A histogram with `counts` in its first buckets (1, 5, 15, 30 minutes...), the rest empty. */
  const histogram = (...counts: number[]) =>
    [...counts, ...new Array(DECISION_BUCKETS_MINUTES.length + 1 - counts.length).fill(0)] as number[];

  it("is the upper bound of the bucket the percentile's decision falls in", () => {
    // Ten decisions: 5 within a minute, 3 within 5, 2 within 15.
    expect(percentileOf(histogram(5, 3, 2), 0.5)).toBe(1);
    expect(percentileOf(histogram(5, 3, 2), 0.6)).toBe(5);
    expect(percentileOf(histogram(5, 3, 2), 0.9)).toBe(15);
  });

  it("is null with no decisions, and past the last bound, which has no upper bound", () => {
    expect(percentileOf(histogram(), 0.5)).toBeNull();
    const longer = histogram();
    longer[DECISION_BUCKETS_MINUTES.length] = 1;
    expect(percentileOf(longer, 0.9)).toBeNull();
  });
});

describe("the dashboard of a range", () => {
  const counters: Counter[] = [
    { day: "2025-07-01", metric: "status", dimension: "SUBMITTED", value: 3 },
    { day: "2025-07-03", metric: "status", dimension: "SUBMITTED", value: 1 },
    { day: "2025-07-03", metric: "status", dimension: "PROVISIONED", value: 3 },
    { day: "2025-07-03", metric: "status", dimension: "FAILED", value: 1 },
    { day: "2025-07-01", metric: "decision-minutes", dimension: "1", value: 1 },
    { day: "2025-07-03", metric: "decision-minutes", dimension: "60", value: 2 },
    { day: "2025-07-03", metric: "cost-by-type", dimension: "ec2", value: 10.005 },
    { day: "2025-07-01", metric: "cost-by-requester", dimension: "bob@example.com", value: 2 },
    { day: "2025-07-03", metric: "cost-by-requester", dimension: "ana@example.com", value: 7.5 },
  ];
  const pending = (requestId: string, approvers: string[]) =>
    ({ requestId, status: "PENDING_APPROVAL", approvers }) as RequestView;

  const dashboard = dashboardOf({ from: "2025-07-01", to: "2025-07-03" }, counters, [
    pending("a", ["abe@example.com", "Cy@Example.com"]),
    pending("b", ["cy@example.com"]),
  ]);

  it("gives each status one count per day of the range, days without any at zero", () => {
    expect(dashboard.days).toEqual(["2025-07-01", "2025-07-02", "2025-07-03"]);
    expect(dashboard.requestsByStatus).toEqual([
      { status: "SUBMITTED", counts: [3, 0, 1] },
      { status: "PROVISIONED", counts: [0, 0, 3] },
      { status: "FAILED", counts: [0, 0, 1] },
    ]);
  });

  it("takes the time to decision's percentiles over the whole range, and each day's", () => {
    expect(dashboard.timeToDecision).toMatchObject({ decisions: 3, p50Minutes: 60, p90Minutes: 60 });
    expect(dashboard.timeToDecision.daily.map(({ p50Minutes }) => p50Minutes)).toEqual([1, null, 60]);
  });

  it("counts the pending requests by whom they wait for, whatever the case of the address", () => {
    expect(dashboard.pendingByApprover).toEqual([
      { approver: "cy@example.com", pending: 2 },
      { approver: "abe@example.com", pending: 1 },
    ]);
  });

  it("rates provisioning's success and totals the costs, most first, in cents", () => {
    expect(dashboard.provisioning).toEqual({ succeeded: 3, failed: 1, successRate: 0.75 });
    expect(dashboard.costByRequester).toEqual([
      { requester: "ana@example.com", monthlyUsd: 7.5 },
      { requester: "bob@example.com", monthlyUsd: 2 },
    ]);
    expect(dashboard.costByResourceType).toEqual([{ resourceType: "ec2", monthlyUsd: 10.01 }]);
  });
});

describe("the counters, as the flow event handler keeps them on DynamoDB", () => {
  let dynamo: TestDynamo;
  let aggregates: AggregatesStore;
  beforeAll(async () => {
    dynamo = await startTestDynamo(tables);
    aggregates = testAggregatesStore(dynamo);
  });
  afterAll(() => dynamo.close());

  const handlerWith = (counting: AggregatesStore) =>
    createFlowEventHandler({ store: testAuditStore(dynamo), aggregates: counting, logger: silentLogger() });

  it("counts an event delivered twice, or after a delivery that died halfway through its counters, once", async () => {
    const request = { ...sampleRequest({ requestId: "twice" }), ...sampleDatabaseEstimate() };
    const flow = provisionedFlow(request, START);
    const handle = handlerWith(aggregates);
    // The provisioned event's first delivery adds to its status counter, then dies before its costs.
    const dying = handlerWith({
      ...aggregates,
      count: async (eventId, increments) => {
        await aggregates.count(eventId, increments.slice(0, 1));
        throw new Error("the invocation timed out");
      },
    });
    const provisioned = flow.find((envelope) => envelope["detail-type"] === ResourceProvisioned.detailType);
    await expect(dying(provisioned as (typeof flow)[number])).rejects.toThrow("timed out");
    for (const envelope of [...flow, ...flow]) await handle(envelope);

    const dashboard = dashboardOf(DAY, await aggregates.read(DAY), []);
    expect(dashboard.requestsByStatus).toEqual([
      { status: "SUBMITTED", counts: [1] },
      { status: "APPROVED", counts: [1] },
      { status: "PROVISIONED", counts: [1] },
    ]);
    expect(dashboard.timeToDecision).toMatchObject({ decisions: 1, p50Minutes: 1 });
    expect(dashboard.costByRequester).toEqual([{ requester: "ana@example.com", monthlyUsd: 13.98 }]);
  });

  it("reads a range across months, and nothing of the days outside it", async () => {
    const handle = handlerWith(aggregates);
    const flows = [
      rejectedFlow(sampleRequest({ requestId: "june" }), "2024-06-30T23:00:00Z"),
      provisionedFlow(sampleRequest({ requestId: "july" }), "2024-07-15T12:00:00Z"),
      failedFlow(sampleRequest({ requestId: "august" }), "2024-08-01T12:00:00Z"),
      rejectedFlow(sampleRequest({ requestId: "september" }), "2024-09-01T00:00:00Z"),
    ];
    for (const envelope of flows.flat()) await handle(envelope);

    const range = { from: "2024-06-30", to: "2024-08-31" };
    const counters = await aggregates.read(range);
    expect(new Set(counters.map(({ day }) => day))).toEqual(
      new Set(["2024-06-30", "2024-07-15", "2024-08-01"]),
    );
    expect(dashboardOf(range, counters, []).provisioning).toEqual({
      succeeded: 1,
      failed: 1,
      successRate: 0.5,
    });
  });
});
