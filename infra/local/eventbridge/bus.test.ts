import { rm } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { busEvent, silentLogger, temporaryDataDir } from "../../../test/support/bus.ts";
import { waitUntil } from "../../../test/support/wait.ts";
import {
  BusConfigurationError,
  BusStateError,
  LocalEventBus,
  type LocalEventBusOptions,
  retryDelayMs,
  UnknownEventBusError,
} from "./bus.ts";
import { DeadLetterNotFoundError } from "./dead-letters.ts";
import { InvalidScheduleExpressionError, rateIntervalMs } from "./schedule.ts";
import { type BusEvent, LOCAL_ACCOUNT_ID, type RuleTarget } from "./types.ts";

const running: LocalEventBus[] = [];
const dataDirs: string[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((bus) => bus.close()));
  await Promise.all(dataDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const newDataDir = async () => {
  const dir = await temporaryDataDir();
  dataDirs.push(dir);
  return dir;
};

const startBus = async (options: Partial<LocalEventBusOptions> & { dataDir: string }) => {
  const bus = new LocalEventBus({ logger: silentLogger, retryBaseDelayMs: 1, ...options });
  await bus.start();
  running.push(bus);
  return bus;
};

/** A target that records what it receives. */
const recorder = () => {
  const received: BusEvent[] = [];
  const target: RuleTarget = async (event) => {
    received.push(event);
  };
  return { received, target };
};

/** A target that fails with a named error while `failing` is set, and records once it succeeds. */
class TargetUnavailableError extends Error {
  override readonly name = "TargetUnavailableError";
}
const flaky = (failing = true) => {
  const state = { failing, calls: 0, received: [] as BusEvent[] };
  const target: RuleTarget = async (event) => {
    state.calls++;
    if (state.failing) throw new TargetUnavailableError(`call ${state.calls} failed`);
    state.received.push(event);
  };
  return Object.assign(state, { target });
};

/** A target that runs until released. */
const gated = () => {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const invoked: BusEvent[] = [];
  const target: RuleTarget = async (event) => {
    invoked.push(event);
    await released;
  };
  return { invoked, target, release };
};

const byId = (events: BusEvent[]) => [...events].sort((a, b) => a.id.localeCompare(b.id));

describe("LocalEventBus delivery", () => {
  it("delivers the envelope to every rule whose pattern matches, on the event's own bus only", async () => {
    const orders = recorder();
    const payments = recorder();
    const ordersOnDefaultBus = recorder();
    const bus = await startBus({
      dataDir: await newDataDir(),
      rules: [
        {
          name: "orders",
          eventBusName: "approvals",
          pattern: { source: ["app.orders"] },
          target: orders.target,
        },
        {
          name: "payments",
          eventBusName: "approvals",
          pattern: { source: ["app.payments"] },
          target: payments.target,
        },
        {
          name: "orders",
          eventBusName: "default",
          pattern: { source: ["app.orders"] },
          target: ordersOnDefaultBus.target,
        },
      ],
    });
    const order = busEvent({ source: "app.orders", detail: { orderId: "o-1" } });

    await bus.accept([{ eventBusName: "approvals", event: order }]);
    await bus.drained();

    expect(orders.received).toEqual([order]);
    expect(payments.received).toEqual([]);
    expect(ordersOnDefaultBus.received).toEqual([]);
  });

  it("resolves accept without waiting for targets, which run outside its promise chain", async () => {
    const slow = gated();
    const bus = await startBus({
      dataDir: await newDataDir(),
      maxAttempts: 1,
      rules: [
        { name: "slow", eventBusName: "approvals", pattern: { source: ["app"] }, target: slow.target },
        {
          name: "throws-synchronously",
          eventBusName: "approvals",
          pattern: { source: ["app"] },
          target: () => {
            throw new TargetUnavailableError("thrown before any promise");
          },
        },
      ],
    });
    const event = busEvent({ source: "app" });

    await bus.accept([{ eventBusName: "approvals", event }]);
    await waitUntil(() => expect(slow.invoked).toHaveLength(1));
    await waitUntil(() => expect(bus.listDeadLetters()).toHaveLength(1));
    slow.release();
    await bus.drained();

    expect(slow.invoked).toEqual([event]);
    expect(bus.listDeadLetters()[0]?.error).toEqual({
      name: "TargetUnavailableError",
      message: "thrown before any promise",
    });
  });

  it("refuses events for a bus that does not exist", async () => {
    const bus = await startBus({ dataDir: await newDataDir() });

    await expect(bus.accept([{ eventBusName: "nope", event: busEvent() }])).rejects.toThrow(
      UnknownEventBusError,
    );
  });

  it("refuses rules on unknown buses, duplicate rule names and unsupported schedules", async () => {
    const dataDir = await newDataDir();
    const target: RuleTarget = async () => {};

    expect(
      () => new LocalEventBus({ dataDir, rules: [{ name: "r", eventBusName: "nope", pattern: {}, target }] }),
    ).toThrow(BusConfigurationError);
    expect(
      () =>
        new LocalEventBus({
          dataDir,
          rules: [
            { name: "r", eventBusName: "default", pattern: { source: ["a"] }, target },
            { name: "r", schedule: "rate(1 minute)", target },
          ],
        }),
    ).toThrow(BusConfigurationError);
    expect(
      () => new LocalEventBus({ dataDir, rules: [{ name: "r", schedule: "cron(0 * * * ? *)", target }] }),
    ).toThrow(InvalidScheduleExpressionError);
  });
});

describe("LocalEventBus retries and dead letters", () => {
  it("retries a failing target up to maxAttempts, then dead-letters the event with the last error", async () => {
    const failing = flaky();
    const healthy = recorder();
    const bus = await startBus({
      dataDir: await newDataDir(),
      maxAttempts: 3,
      rules: [
        { name: "failing", eventBusName: "approvals", pattern: { source: ["app"] }, target: failing.target },
        { name: "healthy", eventBusName: "approvals", pattern: { source: ["app"] }, target: healthy.target },
      ],
    });
    const event = busEvent({ source: "app" });

    await bus.accept([{ eventBusName: "approvals", event }]);
    await bus.drained();

    expect(failing.calls).toBe(3);
    expect(healthy.received).toEqual([event]);
    expect(bus.listDeadLetters()).toEqual([
      {
        id: expect.any(String),
        eventBusName: "approvals",
        ruleName: "failing",
        event,
        error: { name: "TargetUnavailableError", message: "call 3 failed" },
        attempts: 3,
        deadLetteredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
  });

  it("waits exponentially longer between attempts, with jitter, up to a cap", () => {
    const lowest = () => 0;
    const highest = () => 1;

    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, 200, 60_000, lowest))).toEqual([
      100, 200, 400, 800,
    ]);
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, 200, 60_000, highest))).toEqual([
      200, 400, 800, 1600,
    ]);
    expect(retryDelayMs(12, 200, 1_000, lowest)).toBe(500);
    expect(retryDelayMs(12, 200, 1_000, highest)).toBe(1_000);
  });

  it("keeps dead letters across a restart; redrive delivers them with fresh attempts and removes them for good", async () => {
    const dataDir = await newDataDir();
    const broken = flaky();
    const first = await startBus({
      dataDir,
      maxAttempts: 2,
      rules: [
        { name: "target", eventBusName: "approvals", pattern: { source: ["app"] }, target: broken.target },
      ],
    });
    const event = busEvent({ source: "app" });
    await first.accept([{ eventBusName: "approvals", event }]);
    await first.drained();
    const [deadLetter] = first.listDeadLetters();
    await first.close();

    const repaired = flaky(false);
    const second = await startBus({
      dataDir,
      maxAttempts: 2,
      rules: [
        { name: "target", eventBusName: "approvals", pattern: { source: ["app"] }, target: repaired.target },
      ],
    });
    expect(second.listDeadLetters()).toEqual([deadLetter]);
    await expect(second.redrive(["no-such-id"])).rejects.toThrow(DeadLetterNotFoundError);
    const redriven = await second.redrive([deadLetter?.id ?? ""]);
    await second.drained();
    await second.close();

    const third = await startBus({
      dataDir,
      rules: [
        { name: "target", eventBusName: "approvals", pattern: { source: ["app"] }, target: repaired.target },
      ],
    });
    await third.drained();

    expect(redriven).toEqual([deadLetter]);
    expect(repaired.received).toEqual([event]);
    expect(third.listDeadLetters()).toEqual([]);
  });
});

describe("LocalEventBus restarts", () => {
  it("delivers after a restart what was owed, and nothing that was already delivered", async () => {
    const dataDir = await newDataDir();
    const delivered = recorder();
    const unreachable = flaky();
    const first = await startBus({
      dataDir,
      retryBaseDelayMs: 60_000,
      rules: [
        {
          name: "delivered",
          eventBusName: "approvals",
          pattern: { source: ["app"] },
          target: delivered.target,
        },
        {
          name: "unreachable",
          eventBusName: "approvals",
          pattern: { source: ["app"] },
          target: unreachable.target,
        },
      ],
    });
    const events = [busEvent({ source: "app" }), busEvent({ source: "app" })];
    await first.accept(events.map((event) => ({ eventBusName: "approvals", event })));
    await waitUntil(() => expect([delivered.received.length, unreachable.calls]).toEqual([2, 2]));
    await first.close();

    const deliveredAgain = recorder();
    const reachable = recorder();
    const second = await startBus({
      dataDir,
      rules: [
        {
          name: "delivered",
          eventBusName: "approvals",
          pattern: { source: ["app"] },
          target: deliveredAgain.target,
        },
        {
          name: "unreachable",
          eventBusName: "approvals",
          pattern: { source: ["app"] },
          target: reachable.target,
        },
      ],
    });
    await second.drained();

    expect(deliveredAgain.received).toEqual([]);
    expect(byId(reachable.received)).toEqual(byId(events));
  });

  it("goes on counting failed attempts after a restart, so restarting never keeps an event from its dead letter", async () => {
    const dataDir = await newDataDir();
    const rule = (target: RuleTarget) => ({
      name: "failing",
      eventBusName: "approvals",
      pattern: { source: ["app"] },
      target,
    });
    const beforeRestart = flaky();
    // The first failure waits for a minute-long retry, which the restart cuts short.
    const first = await startBus({
      dataDir,
      maxAttempts: 3,
      retryBaseDelayMs: 60_000,
      rules: [rule(beforeRestart.target)],
    });
    await first.accept([{ eventBusName: "approvals", event: busEvent({ source: "app" }) }]);
    await waitUntil(() => expect(beforeRestart.calls).toBe(1));
    await first.close();

    const afterRestart = flaky();
    const second = await startBus({
      dataDir,
      maxAttempts: 3,
      retryBaseDelayMs: 1,
      rules: [rule(afterRestart.target)],
    });
    await second.drained();

    expect([beforeRestart.calls, afterRestart.calls]).toEqual([1, 2]);
    expect(second.listDeadLetters().map((deadLetter) => deadLetter.attempts)).toEqual([3]);
  });

  it("close waits for a running delivery and records it, so the next start does not repeat it", async () => {
    const dataDir = await newDataDir();
    const slow = gated();
    const first = await startBus({
      dataDir,
      rules: [{ name: "slow", eventBusName: "approvals", pattern: { source: ["app"] }, target: slow.target }],
    });
    await first.accept([{ eventBusName: "approvals", event: busEvent({ source: "app" }) }]);
    await waitUntil(() => expect(slow.invoked).toHaveLength(1));

    const closing = first.close();
    slow.release();
    await closing;
    const later = recorder();
    const second = await startBus({
      dataDir,
      rules: [
        { name: "slow", eventBusName: "approvals", pattern: { source: ["app"] }, target: later.target },
      ],
    });
    await second.drained();

    await expect(first.accept([{ eventBusName: "approvals", event: busEvent() }])).rejects.toThrow(
      BusStateError,
    );
    expect(later.received).toEqual([]);
  });

  it("close abandons a target that outlives the grace period, and the next start delivers that event again", async () => {
    const dataDir = await newDataDir();
    const hung = gated();
    const first = await startBus({
      dataDir,
      closeGraceMs: 10,
      rules: [{ name: "hung", eventBusName: "approvals", pattern: { source: ["app"] }, target: hung.target }],
    });
    const event = busEvent({ source: "app" });
    await first.accept([{ eventBusName: "approvals", event }]);
    await waitUntil(() => expect(hung.invoked).toHaveLength(1));

    await first.close();
    hung.release();
    const later = recorder();
    const second = await startBus({
      dataDir,
      rules: [
        { name: "hung", eventBusName: "approvals", pattern: { source: ["app"] }, target: later.target },
      ],
    });
    await second.drained();

    expect(later.received).toEqual([event]);
  });
});

describe("LocalEventBus scheduled rules", () => {
  it("fires the target with AWS's Scheduled Event envelope, retried like any delivery, until closed", async () => {
    const invocations: BusEvent[] = [];
    const delivered: BusEvent[] = [];
    const bus = await startBus({
      dataDir: await newDataDir(),
      region: "eu-west-1",
      scheduleIntervalOverrideMs: 20,
      rules: [
        {
          name: "sweeper",
          schedule: "rate(1 minute)",
          target: async (event) => {
            invocations.push(event);
            if (invocations.length === 1) throw new TargetUnavailableError("first sweep fails");
            delivered.push(event);
          },
        },
      ],
    });

    await waitUntil(() => expect(delivered.map((event) => event.id)).toContain(invocations[0]?.id));
    await bus.close();
    const invocationsAtClose = invocations.length;
    await new Promise((resolve) => setTimeout(resolve, 60));

    expect(invocations[0]).toEqual({
      version: "0",
      id: expect.any(String),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: LOCAL_ACCOUNT_ID,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: "eu-west-1",
      resources: [`arn:aws:events:eu-west-1:${LOCAL_ACCOUNT_ID}:rule/sweeper`],
      detail: {},
    });
    expect(invocations).toHaveLength(invocationsAtClose);
  });

  it("reads rate expressions as EventBridge writes them", () => {
    expect(rateIntervalMs("rate(1 minute)")).toBe(60_000);
    expect(rateIntervalMs("rate(5 minutes)")).toBe(300_000);
    expect(rateIntervalMs("rate(1 hour)")).toBe(3_600_000);
    expect(rateIntervalMs("rate(2 days)")).toBe(172_800_000);
    for (const invalid of [
      "rate(1 minutes)",
      "rate(5 minute)",
      "rate(0 minutes)",
      "rate(1 second)",
      "rate(x)",
    ]) {
      expect(() => rateIntervalMs(invalid), invalid).toThrow(InvalidScheduleExpressionError);
    }
  });
});
