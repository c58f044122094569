import { setTimeout as sleep } from "node:timers/promises";
import { IdempotencyAlreadyInProgressError } from "@aws-lambda-powertools/idempotency";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import middy from "@middy/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { everFreshInvocation, invocationEndingIn, testIdempotency } from "../../test/support/idempotency.ts";
import { createIdempotency, IDEMPOTENCY_RECORD_SECONDS, InvocationDeadlineError } from "./idempotency.ts";
import { idempotencyTableSpec } from "./table-spec.ts";

const table = idempotencyTableSpec("test-idempotency", "TEST_IDEMPOTENCY_TABLE");

/** A promise the test settles by hand, to hold an effect in progress. */
const deferred = <T>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
};

describe("runOnce, on Powertools Idempotency", () => {
  let dynamo: TestDynamo;
  let keys = 0;
  const freshEffect = (name = "mail") => ({ name, key: `request-${++keys}` });
  const records = async () =>
    (await dynamo.document.send(new ScanCommand({ TableName: table.id }))).Items ?? [];

  beforeAll(async () => {
    dynamo = await startTestDynamo([table]);
  });
  afterAll(() => dynamo.close());

  const idempotency = () => testIdempotency(dynamo, table.id, "notifier");

  it("records the effect's result, kept long after any redelivery, and hands it to the next call without running it again", async () => {
    const { runOnce } = idempotency();
    const effect = freshEffect();
    let runs = 0;
    const run = async () => ({ messageId: `message-${++runs}` });
    const before = Math.floor(Date.now() / 1000);

    const first = await runOnce(effect, run);
    const second = await runOnce(effect, run);

    expect(runs).toBe(1);
    expect(first).toEqual({ ran: true, result: { messageId: "message-1" } });
    expect(second).toEqual({ ran: false, result: { messageId: "message-1" } });
    const stored = (await records()).filter((record) => record.data?.messageId === "message-1");
    expect(stored).toEqual([
      {
        id: expect.stringMatching(/^notifier#/),
        status: "COMPLETED",
        data: { messageId: "message-1" },
        expiration: expect.any(Number),
        in_progress_expiration: expect.any(Number),
      },
    ]);
    expect(stored[0]?.expiration).toBeGreaterThanOrEqual(before + IDEMPOTENCY_RECORD_SECONDS);
  });

  it("keys the record on the effect's name and key alone", async () => {
    const { runOnce } = idempotency();
    const effect = freshEffect("email");
    let runs = 0;
    const run = async () => ++runs;

    await runOnce(effect, run);
    await runOnce({ ...effect, name: "announcement" }, run);
    await runOnce({ ...effect, key: `${effect.key}-other` }, run);
    const repeat = await runOnce({ key: effect.key, name: "email" }, run);

    expect(runs).toBe(3);
    expect(repeat).toEqual({ ran: false, result: 1 });
  });

  it("shares the records of a service between its functions' modules", async () => {
    const effect = freshEffect("outcome");
    let runs = 0;

    await idempotency().runOnce(effect, async () => ++runs);
    const elsewhere = await idempotency().runOnce(effect, async () => ++runs);

    expect(elsewhere).toEqual({ ran: false, result: 1 });
  });

  it("fails a delivery that finds the effect in progress elsewhere, without running it, for the bus to retry", async () => {
    const { runOnce } = idempotency();
    const effect = freshEffect();
    const publishing = deferred<string[]>();
    let runs = 0;
    const run = () => {
      runs++;
      return publishing.promise;
    };

    const holder = runOnce(effect, run);
    await expect.poll(() => runs).toBe(1);
    await expect(runOnce(effect, run)).rejects.toBeInstanceOf(IdempotencyAlreadyInProgressError);
    publishing.resolve(["event-1"]);
    await holder;

    expect(await runOnce(effect, run)).toEqual({ ran: false, result: ["event-1"] });
    expect(runs).toBe(1);
  });

  it("deletes the claim of an effect that failed, so the retry runs it", async () => {
    const { runOnce } = idempotency();
    const effect = freshEffect();

    await expect(runOnce(effect, () => Promise.reject(new Error("SES is down")))).rejects.toThrow(
      "SES is down",
    );
    const retry = await runOnce(effect, async () => "sent");

    expect(retry).toEqual({ ran: true, result: "sent" });
  });

  it("takes over an effect whose holder's invocation ended before recording it", async () => {
    const dying = idempotency();
    const effect = freshEffect();
    let dyingRunStarted = false;
    dying.config.registerLambdaContext(invocationEndingIn(100));
    void dying.runOnce(effect, () => {
      dyingRunStarted = true;
      return new Promise<never>(() => {});
    });
    await expect.poll(() => dyingRunStarted).toBe(true);
    const { runOnce } = idempotency();

    await expect(runOnce(effect, async () => "too early")).rejects.toBeInstanceOf(
      IdempotencyAlreadyInProgressError,
    );
    await sleep(150);
    const takeover = await runOnce(effect, async () => "taken over");

    expect(takeover).toEqual({ ran: true, result: "taken over" });
  });

  it("claims nothing without an invocation deadline ahead, as its record would never expire in time", async () => {
    const unregistered = createIdempotency({
      client: dynamo.client,
      tableName: table.id,
      service: "notifier",
    });
    const timedOut = idempotency();
    timedOut.config.registerLambdaContext(invocationEndingIn(-1));
    let runs = 0;
    const run = async () => ++runs;

    await expect(unregistered.runOnce(freshEffect(), run)).rejects.toBeInstanceOf(InvocationDeadlineError);
    await expect(timedOut.runOnce(freshEffect(), run)).rejects.toBeInstanceOf(InvocationDeadlineError);
    expect(runs).toBe(0);
  });

  it("takes each invocation's deadline from the Lambda context its middleware registers", async () => {
    const { runOnce, lambdaContextMiddleware } = createIdempotency({
      client: dynamo.client,
      tableName: table.id,
      service: "notifier",
    });
    const effect = freshEffect();
    const handler = middy(() => runOnce(effect, async () => "done")).use(lambdaContextMiddleware);

    await expect(handler({}, everFreshInvocation())).resolves.toEqual({ ran: true, result: "done" });
  });
});
