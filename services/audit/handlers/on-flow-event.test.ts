import "../../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DetailValidationError,
  type RawEnvelope,
  RequestApproved,
  ResourceRequested,
  refusalIdOf,
} from "../../../events/index.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf, sampleRequest } from "../../../test/support/fixtures.ts";
import { auditRecordOf, projectView } from "../domain.ts";
import { type AuditStore, createAuditStore } from "../store.ts";
import { auditRequestsTable, auditTimelineTable, tables } from "../tables.ts";
import {
  failedFlow,
  invalidFlow,
  MALLORY,
  permutations,
  provisionedFlow,
  rejectedFlow,
  reusedIdFlow,
  secondsAfter,
} from "../testing/flows.ts";
import { testAggregatesStore } from "../testing/store.ts";
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
    handle = createFlowEventHandler({
      store,
      aggregates: testAggregatesStore(dynamo),
      logger: silentLogger(),
    });
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

    const { entries } = await store.readTimeline("req-twice");
    expect(entries.map((entry) => entry.eventId)).toEqual([requested.id, accepted.id]);
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
    expect((await store.readTimeline("req-concurrent")).entries).toHaveLength(flow.length);
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
      aggregates: testAggregatesStore(dynamo),
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

    expect((await store.readTimeline("req-broken")).entries).toEqual([]);
    expect(await store.getView("req-broken")).toBeUndefined();
  });
});

/** A promise to wait on and the function that fulfils it, to hold a delivery at a chosen step. */
const signal = () => {
  let fire = () => {};
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fire, fired };
};

describe("a submission intake refuses, on DynamoDB", () => {
  let dynamo: TestDynamo;
  let store: AuditStore;
  let handle: (envelope: RawEnvelope) => Promise<void>;

  beforeAll(async () => {
    dynamo = await startTestDynamo(tables);
    store = createAuditStore(dynamo.document, {
      requests: auditRequestsTable.id,
      timeline: auditTimelineTable.id,
    });
    handle = createFlowEventHandler({
      store,
      aggregates: testAggregatesStore(dynamo),
      logger: silentLogger(),
    });
  });
  afterAll(() => dynamo.close());

  /**
   * An accepted request's first events, and someone else's submission reusing its id with other
   * content, which intake refused under the refusal's own id. Labels keep the scenarios apart.
   */
  const reuseOf = (label: string) => {
    const request = sampleRequest({ requestId: `req-${label}` });
    const original = provisionedFlow(request, START).slice(0, 2);
    const [reuse, refusal] = reusedIdFlow(request, `${label}-reuse`, secondsAfter(START, 1)) as [
      RawEnvelope,
      RawEnvelope,
    ];
    return { requestId: request.requestId, original, reuse, refusal, refusalId: refusalIdOf(reuse.id) };
  };

  const eventIdsOn = async (requestId: string) =>
    (await store.readTimeline(requestId)).entries.map((entry) => entry.eventId);

  /** The request keeps its own events and view; the refusal holds the submission and its refusal. */
  const expectKeptApart = async ({
    requestId,
    original,
    reuse,
    refusal,
    refusalId,
  }: ReturnType<typeof reuseOf>) => {
    expect(await eventIdsOn(requestId)).toEqual(original.map((envelope) => envelope.id));
    expect(await store.getView(requestId)).toEqual(expectedViewOf(original));
    expect(await eventIdsOn(refusalId)).toEqual([reuse.id, refusal.id]);
    expect(await store.getView(refusalId)).toEqual(
      projectView(
        refusalId,
        [reuse, refusal].map((envelope) => auditRecordOf(envelope).entry),
      ),
    );
  };

  it("keeps a reused id's submission off the request's timeline and view, in every arrival order, with repeats", async () => {
    const orders = [...permutations([0, 1, 2, 3])];
    const scenarios = orders.map((_order, index) => reuseOf(`reuse-order-${index}`));

    // Each order on a request of its own; the first event comes again last, as a late redelivery.
    for (const [index, order] of orders.entries()) {
      const scenario = scenarios[index] as ReturnType<typeof reuseOf>;
      const events = [...scenario.original, scenario.reuse, scenario.refusal];
      const delivered = order.map((position) => events[position] as RawEnvelope);
      for (const envelope of [...delivered, delivered[0] as RawEnvelope]) await handle(envelope);
    }

    expect(orders).toHaveLength(24);
    for (const scenario of scenarios) await expectKeptApart(scenario);
  });

  it("keeps them apart when every event and its repeat are handled at once", async () => {
    const scenario = reuseOf("reuse-at-once");
    const events = [...scenario.original, scenario.reuse, scenario.refusal];

    await Promise.all([...events, ...events].map(handle));

    await expectKeptApart(scenario);
  });

  it("moves the submission when the refusal looked for it between the submission's check and its append", async () => {
    const scenario = reuseOf("reuse-race");
    for (const envelope of scenario.original) await handle(envelope);
    const reachedAppend = signal();
    const resume = signal();
    const held = createFlowEventHandler({
      aggregates: testAggregatesStore(dynamo),
      store: {
        ...store,
        appendToTimeline: async (record) => {
          if (record.requestId === scenario.requestId) {
            reachedAppend.fire();
            await resume.fired;
          }
          return store.appendToTimeline(record);
        },
      },
      logger: silentLogger(),
    });

    const submission = held(scenario.reuse);
    await reachedAppend.fired;
    await handle(scenario.refusal);
    expect(await eventIdsOn(scenario.refusalId)).toEqual([scenario.refusal.id]);
    resume.fire();
    await submission;

    await expectKeptApart(scenario);
  });

  it("clears what a delivery that died after its append, before looking again, left on the request", async () => {
    const scenario = reuseOf("reuse-crash");
    for (const envelope of scenario.original) await handle(envelope);
    const reachedAppend = signal();
    const resume = signal();
    let looks = 0;
    const dying = createFlowEventHandler({
      aggregates: testAggregatesStore(dynamo),
      store: {
        ...store,
        holdsTimeline: async (requestId) => {
          looks++;
          if (looks === 2) throw new Error("the invocation timed out");
          return store.holdsTimeline(requestId);
        },
        appendToTimeline: async (record) => {
          reachedAppend.fire();
          await resume.fired;
          return store.appendToTimeline(record);
        },
      },
      logger: silentLogger(),
    });

    const submission = dying(scenario.reuse);
    await reachedAppend.fired;
    await handle(scenario.refusal);
    resume.fire();
    await expect(submission).rejects.toThrow("timed out");
    expect(await eventIdsOn(scenario.requestId)).toContain(scenario.reuse.id);
    await handle(scenario.reuse);

    await expectKeptApart(scenario);
  });

  it("leaves no view under an id only the refused submission was recorded under, until the request's own events come", async () => {
    const scenario = reuseOf("reuse-first");

    await handle(scenario.reuse);
    expect((await store.getView(scenario.requestId))?.requester?.email).toBe(MALLORY);
    await handle(scenario.refusal);

    expect(await store.getView(scenario.requestId)).toBeUndefined();
    const listed = await store.listViews({ limit: 100 }, { kind: "everything" });
    expect(listed.items.map((view) => view.requestId)).not.toContain(scenario.requestId);

    for (const envelope of scenario.original) await handle(envelope);
    await expectKeptApart(scenario);
  });

  it.each([
    ["before", false],
    ["after", true],
  ])(
    "records an invalid detail naming another request's id under its refusal only, arriving %s that request",
    async (_when, requestFirst) => {
      const requestId = `req-named-${requestFirst}`;
      const original = provisionedFlow(sampleRequest({ requestId }), START).slice(0, 2);
      const refused = invalidFlow(requestId, secondsAfter(START, 1), `${requestId}-invalid`);
      const refusalId = refusalIdOf((refused[0] as RawEnvelope).id);

      for (const envelope of requestFirst ? [...original, ...refused] : [...refused, ...original]) {
        await handle(envelope);
      }

      expect(await eventIdsOn(requestId)).toEqual(original.map((envelope) => envelope.id));
      expect(await store.getView(requestId)).toEqual(expectedViewOf(original));
      expect(await eventIdsOn(refusalId)).toEqual(refused.map((envelope) => envelope.id));
      expect((await store.getView(refusalId))?.status).toBe("INVALID");
    },
  );

  it("keeps who published a ResourceRequested: its source and account", async () => {
    const requested = envelopeOf(ResourceRequested, sampleRequest({ requestId: "req-published" }), {
      source: "acme.ci",
      account: "111122223333",
      time: START,
    });

    await handle(requested);

    expect((await store.readTimeline("req-published")).entries).toEqual([
      expect.objectContaining({ source: "acme.ci", account: "111122223333" }),
    ]);
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
