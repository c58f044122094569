import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { EFFECT_LEASE_MS } from "./leases.ts";
import { EffectInProgressError, publishOnce, runOnce } from "./once.ts";

const TABLE = "effects";

describe("runOnce", () => {
  let dynamo: TestDynamo;
  let keys = 0;
  const freshKey = () => ({ id: `item-${++keys}` });
  const clock =
    (at = Date.now()) =>
    () =>
      new Date(at);

  beforeAll(async () => {
    dynamo = await startTestDynamo([
      { id: TABLE, tableNameEnv: "EFFECTS_TABLE", partitionKey: { name: "id", type: "S" } },
    ]);
  });
  afterAll(() => dynamo.close());

  const once = (key: Record<string, string>, run: () => Promise<{ value: string }>, now = clock()) =>
    runOnce({ document: dynamo.document, tableName: TABLE, key, effect: "mail", now, run });

  it("runs the effect once and hands its result to every later delivery", async () => {
    const key = freshKey();
    let runs = 0;
    const run = async () => ({ value: `run-${++runs}` });

    const first = await once(key, run);
    const second = await once(key, run);

    expect(runs).toBe(1);
    expect(first).toEqual({ ran: true, result: { value: "run-1" } });
    expect(second).toEqual({ ran: false, result: { value: "run-1" } });
  });

  it("runs the effect once for concurrent deliveries, which all get its result", async () => {
    const key = freshKey();
    let runs = 0;
    const run = async () => ({ value: `run-${++runs}` });

    const outcomes = await Promise.all([once(key, run), once(key, run), once(key, run)]);

    expect(runs).toBe(1);
    expect(outcomes.filter((outcome) => outcome.ran)).toHaveLength(1);
    expect(outcomes.map((outcome) => outcome.result)).toEqual(Array(3).fill({ value: "run-1" }));
  });

  it("gives the claim back when the effect fails, so the retry runs it", async () => {
    const key = freshKey();

    await expect(once(key, async () => Promise.reject(new Error("SES is down")))).rejects.toThrow(
      "SES is down",
    );
    const retry = await once(key, async () => ({ value: "sent" }));

    expect(retry).toEqual({ ran: true, result: { value: "sent" } });
  });

  it("takes over a claim whose holder died, once its lease is up", async () => {
    const key = freshKey();
    const start = Date.now();
    void once(key, () => new Promise(() => {}), clock(start));
    await expect
      .poll(() => dynamo.document.send(getItem(key)).then(({ Item }) => Item?.mailLeaseUntil))
      .toBeDefined();

    const takeover = await once(key, async () => ({ value: "sent" }), clock(start + EFFECT_LEASE_MS + 1));

    expect(takeover).toEqual({ ran: true, result: { value: "sent" } });
  });

  it("leaves a live claim to its holder and throws, so the bus retries later", async () => {
    const key = freshKey();
    void once(key, () => new Promise(() => {}));
    await expect
      .poll(() => dynamo.document.send(getItem(key)).then(({ Item }) => Item?.mailLeaseUntil))
      .toBeDefined();

    await expect(once(key, async () => ({ value: "sent" }))).rejects.toBeInstanceOf(EffectInProgressError);
  });

  it("keeps the first record when a holder whose lease ran out finishes after its taker", async () => {
    const key = freshKey();
    const start = Date.now();
    let finishLate: (result: { value: string }) => void = () => {};
    const late = once(key, () => new Promise((resolve) => (finishLate = resolve)), clock(start));
    await expect
      .poll(() => dynamo.document.send(getItem(key)).then(({ Item }) => Item?.mailLeaseUntil))
      .toBeDefined();
    await once(key, async () => ({ value: "taker" }), clock(start + EFFECT_LEASE_MS + 1));

    finishLate({ value: "late" });
    await late;
    const later = await once(key, async () => ({ value: "never" }));

    expect(later).toEqual({ ran: false, result: { value: "taker" } });
  });

  it("gives the item the claim creates an expiry, which later claims keep", async () => {
    const key = freshKey();
    const at = Date.parse("2030-01-01T00:00:00.000Z");
    const retained = (now: () => Date, run: () => Promise<{ value: string }>) =>
      runOnce({
        document: dynamo.document,
        tableName: TABLE,
        key,
        effect: "mail",
        now,
        run,
        retention: { attribute: "expiresAt", seconds: 3600 },
      });
    await expect(retained(clock(at), () => Promise.reject(new Error("SES is down")))).rejects.toThrow();

    await retained(clock(at + 60_000), async () => ({ value: "sent" }));

    const { Item } = await dynamo.document.send(getItem(key));
    expect(Item?.expiresAt).toBe(at / 1000 + 3600);
  });
});

describe("publishOnce", () => {
  let dynamo: TestDynamo;
  beforeAll(async () => {
    dynamo = await startTestDynamo([
      { id: TABLE, tableNameEnv: "EFFECTS_TABLE", partitionKey: { name: "id", type: "S" } },
    ]);
  });
  afterAll(() => dynamo.close());

  it("publishes once and hands the first event id to every later delivery", async () => {
    const published: string[] = [];
    const publish = async () => {
      published.push(`event-${published.length + 1}`);
      return published.slice(-1);
    };
    const deliver = () =>
      publishOnce({
        document: dynamo.document,
        tableName: TABLE,
        key: { id: "announced" },
        effect: "announcement",
        now: () => new Date(),
        publish,
      });

    const outcomes = [await deliver(), await deliver()];

    expect(published).toEqual(["event-1"]);
    expect(outcomes).toEqual([
      { ran: true, result: { eventId: "event-1" } },
      { ran: false, result: { eventId: "event-1" } },
    ]);
  });
});

const getItem = (key: Record<string, string>) =>
  new GetCommand({ TableName: TABLE, Key: key, ConsistentRead: true });
