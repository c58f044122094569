import "../../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DetailValidationError, type RawEnvelope, RequestApproved } from "../../../events/index.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf, sampleRequest } from "../../../test/support/fixtures.ts";
import { auditRecordOf, projectView } from "../domain.ts";
import { type AuditStore, createAuditStore } from "../store.ts";
import { auditRequestsTable, auditTimelineTable, tables } from "../tables.ts";
import { failedFlow, invalidFlow, provisionedFlow, rejectedFlow } from "../testing/flows.ts";
import { createFlowEventHandler } from "./on-flow-event.ts";

const START = "2025-04-01T08:00:00Z";

/** A fixed shuffle (Fisher-Yates over a seeded generator), so a failure can be replayed. */
const shuffled = <T>(items: readonly T[], seed: number): T[] => {
  const result = [...items];
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  for (let index = result.length - 1; index > 0; index--) {
    const other = Math.floor(next() * (index + 1));
    [result[index], result[other]] = [result[other] as T, result[index] as T];
  }
  return result;
};

/** The view the flow's events give in flow order: what any delivery order must end with. */
const expectedViewOf = (envelopes: readonly RawEnvelope[]) => {
  const records = envelopes.map(auditRecordOf);
  const requestId = (records[0] as { requestId: string }).requestId;
  return projectView(
    requestId,
    records.map((record) => record.entry),
  );
};

describe("audit's flow event handler, on DynamoDB", () => {
  let dynamo: TestDynamo;
  let store: AuditStore;
  let handle: (envelope: RawEnvelope) => Promise<void>;

  beforeAll(async () => {
    dynamo = await startTestDynamo(tables);
    store = createAuditStore(dynamo.document, {
      requests: auditRequestsTable.id,
      timeline: auditTimelineTable.id,
    });
    handle = createFlowEventHandler({ store, logger: silentLogger() });
  });
  afterAll(() => dynamo.close());

  it("records an event delivered twice once on the timeline", async () => {
    const [requested, accepted] = provisionedFlow(sampleRequest({ requestId: "req-twice" }), START) as [
      RawEnvelope,
      RawEnvelope,
    ];

    await handle(requested);
    await handle(accepted);
    await handle(accepted);

    const timeline = await store.readTimeline("req-twice");
    expect(timeline.map((entry) => entry.eventId)).toEqual([requested.id, accepted.id]);
    expect(await store.getView("req-twice")).toEqual(expectedViewOf([requested, accepted]));
  });

  it.each([1, 2, 3])("ends with the right view when the events arrive shuffled (seed %i)", async (seed) => {
    const requestId = `req-shuffled-${seed}`;
    const flow = provisionedFlow(sampleRequest({ requestId: requestId }), START);

    for (const envelope of shuffled(flow, seed)) await handle(envelope);

    const view = await store.getView(requestId);
    expect(view?.status).toBe("PROVISIONED");
    expect(view).toEqual(expectedViewOf(flow));
  });

  it("loses no field when every event of a request, and repeats, are handled at once", async () => {
    const flow = provisionedFlow(sampleRequest({ requestId: "req-concurrent" }), START);

    await Promise.all([...flow, ...flow].map(handle));

    expect(await store.getView("req-concurrent")).toEqual(expectedViewOf(flow));
    expect(await store.readTimeline("req-concurrent")).toHaveLength(flow.length);
  });

  it("keeps the later events' fields when a delivery that saw fewer events saves its view last", async () => {
    const [requested, ...later] = provisionedFlow(sampleRequest({ requestId: "req-overtaken" }), START) as [
      RawEnvelope,
      ...RawEnvelope[],
    ];
    let signalReachedSave = () => {};
    const reachedSave = new Promise<void>((resolve) => {
      signalReachedSave = resolve;
    });
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const overtaken = createFlowEventHandler({
      store: {
        ...store,
        saveView: async (...args) => {
          signalReachedSave();
          await released;
          return store.saveView(...args);
        },
      },
      logger: silentLogger(),
    });

    const slowDelivery = overtaken(requested);
    await reachedSave;
    for (const envelope of later) await handle(envelope);
    release();
    await slowDelivery;

    expect(await store.getView("req-overtaken")).toEqual(expectedViewOf([requested, ...later]));
  });

  it("keeps concurrent requests apart", async () => {
    const flows = [
      rejectedFlow(sampleRequest({ requestId: "req-apart-1" }), START),
      failedFlow(sampleRequest({ requestId: "req-apart-2" }), START),
      invalidFlow("req-apart-3", START),
    ];

    await Promise.all(flows.flat().map(handle));

    for (const flow of flows) {
      const expected = expectedViewOf(flow);
      expect(await store.getView(expected.requestId)).toEqual(expected);
    }
  });

  it("fails, recording nothing, on a flow event whose detail breaks its contract", async () => {
    const broken = envelopeOf(RequestApproved, { requestId: "req-broken" }, { id: "broken", time: START });

    await expect(handle(broken)).rejects.toThrow(DetailValidationError);

    expect(await store.readTimeline("req-broken")).toEqual([]);
    expect(await store.getView("req-broken")).toBeUndefined();
  });
});

describe("the request view's version condition", () => {
  let dynamo: TestDynamo;
  let store: AuditStore;

  beforeAll(async () => {
    dynamo = await startTestDynamo(tables);
    store = createAuditStore(dynamo.document, {
      requests: auditRequestsTable.id,
      timeline: auditTimelineTable.id,
    });
  });
  afterAll(() => dynamo.close());

  it("keeps a view projected from more events over one projected from fewer, whichever is saved last", async () => {
    const entries = provisionedFlow(sampleRequest({ requestId: "req-versions" }), START).map(
      (envelope) => auditRecordOf(envelope).entry,
    );
    const complete = projectView("req-versions", entries);
    const stale = projectView("req-versions", entries.slice(0, 2));

    expect(await store.saveView(complete, entries.length)).toBe(true);
    expect(await store.saveView(stale, 2)).toBe(false);
    expect(await store.saveView(complete, entries.length)).toBe(false);

    expect(await store.getView("req-versions")).toEqual(complete);
  });
});
