import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { APPROVALS_BUS, DEFAULT_BUS } from "../../../events/contract.ts";
import type { EventPattern } from "../../../events/patterns.ts";
import { matchesEventPattern, validateEventPattern } from "../../../lib/event-pattern/index.ts";
import { DeadLetterNotFoundError } from "./dead-letters.ts";
import { type AcceptedRecord, DeliveryJournal, type JournalRecord, type PendingDelivery } from "./journal.ts";
import { everyInterval, rateIntervalMs, scheduledEvent } from "./schedule.ts";
import type {
  AcceptedEvent,
  DeadLetter,
  DeadLetterStore,
  DeliveryFailure,
  EventBusEngine,
  LocalRule,
  RuleTarget,
  ScheduledRule,
} from "./types.ts";

export { deadLetterRoutes } from "./dead-letters.ts";

/** AWS puts every scheduled rule on the default bus. */
const SCHEDULE_BUS = DEFAULT_BUS;

export interface BusLogger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

export interface LocalEventBusOptions {
  dataDir: string;
  busNames?: readonly string[];
  rules?: readonly LocalRule[];
  /** Invocations of a target per (event, rule) before it is dead-lettered. */
  maxAttempts?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Target invocations running at once, across all events and rules. */
  maxConcurrentDeliveries?: number;
  region?: string;
  /** Fires every scheduled rule at this period instead of its `rate(...)`, for tests. */
  scheduleIntervalOverrideMs?: number;
  /** How long `close()` waits for running deliveries before leaving them to the next start. */
  closeGraceMs?: number;
  compactionMinBytes?: number;
  logger?: BusLogger;
}

export class BusConfigurationError extends Error {
  override readonly name = "BusConfigurationError";
}

export class UnknownEventBusError extends Error {
  override readonly name = "UnknownEventBusError";
}

export class BusStateError extends Error {
  override readonly name = "BusStateError";
}

/** Recorded as the failure of a delivery owed to a rule that is no longer configured. */
export class RuleNotFoundError extends Error {
  override readonly name = "RuleNotFoundError";
}

/**
 * The wait before retry number `failedAttempts`: exponential from the base, capped, with "equal jitter"
 * (between half and all of the exponential step) so retries of a burst spread out.
 */
export const retryDelayMs = (
  failedAttempts: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number => {
  const step = Math.min(maxMs, baseMs * 2 ** (failedAttempts - 1));
  return step / 2 + (random() * step) / 2;
};

const failureOf = (error: unknown): DeliveryFailure =>
  error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: "Error", message: String(error) };

interface ConfiguredRule {
  name: string;
  target: RuleTarget;
  pattern?: EventPattern;
}

const deliveryKey = ({ eventId, ruleName }: PendingDelivery) => `${eventId}\u0000${ruleName}`;

type Lifecycle = "created" | "running" | "closing" | "closed";

/**
 * The local EventBridge: events are journaled (fsynced) before `accept` resolves, then delivered to
 * each matching rule's target in the background, retried with backoff and dead-lettered when the
 * attempts run out. A restart on the same data directory resumes every delivery not recorded as done.
 */
export class LocalEventBus implements EventBusEngine, DeadLetterStore {
  readonly busNames: readonly string[];
  private readonly rulesByBus = new Map<string, Map<string, ConfiguredRule>>();
  private readonly scheduledRules: ScheduledRule[] = [];
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly maxConcurrentDeliveries: number;
  private readonly region: string;
  private readonly closeGraceMs: number;
  private readonly logger: BusLogger;

  private lifecycle: Lifecycle = "created";
  private journal: DeliveryJournal | undefined;
  /** Every (event, rule) the bus is working on: ready, running or waiting for a retry. */
  private readonly scheduled = new Set<string>();
  private readonly ready: PendingDelivery[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly stopSchedules: (() => void)[] = [];
  private pumpQueued = false;
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly options: LocalEventBusOptions) {
    this.busNames = options.busNames ?? [DEFAULT_BUS, APPROVALS_BUS];
    this.maxAttempts = options.maxAttempts ?? 8;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 200;
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 60_000;
    this.maxConcurrentDeliveries = options.maxConcurrentDeliveries ?? 64;
    this.region = options.region ?? "us-east-1";
    this.closeGraceMs = options.closeGraceMs ?? 5_000;
    this.logger = options.logger ?? console;
    for (const busName of this.busNames) this.rulesByBus.set(busName, new Map());
    for (const rule of options.rules ?? []) this.addRule(rule);
  }

  async start(): Promise<void> {
    if (this.lifecycle !== "created") throw new BusStateError("A LocalEventBus starts only once");
    const { journal, tornTailBytes } = await DeliveryJournal.open(this.options.dataDir, {
      compactionMinBytes: this.options.compactionMinBytes,
    });
    if (tornTailBytes > 0) {
      this.logger.warn("Dropped the unfinished last record of the event journal", { tornTailBytes });
    }
    this.journal = journal;
    this.lifecycle = "running";
    const owed = journal.state.pendingDeliveries();
    if (owed.length > 0)
      this.logger.info("Resuming deliveries owed before the restart", { count: owed.length });
    this.enqueue(owed);
    for (const rule of this.scheduledRules) {
      const intervalMs = this.options.scheduleIntervalOverrideMs ?? rateIntervalMs(rule.schedule);
      this.stopSchedules.push(everyInterval(intervalMs, (firedAt) => this.fireSchedule(rule, firedAt)));
    }
  }

  async accept(events: AcceptedEvent[]): Promise<void> {
    const journal = this.runningJournal();
    const records = events.map(({ eventBusName, event }): AcceptedRecord => {
      const rules = this.rulesByBus.get(eventBusName);
      if (!rules) throw new UnknownEventBusError(`Event bus ${eventBusName} does not exist`);
      const ruleNames = [...rules.values()]
        .filter((rule) => rule.pattern && matchesEventPattern(rule.pattern, event))
        .map((rule) => rule.name);
      return { type: "accepted", eventBusName, event, ruleNames };
    });
    await this.record(journal, records);
  }

  listDeadLetters(): DeadLetter[] {
    return [...this.runningJournal().state.deadLetters.values()];
  }

  async redrive(ids?: string[]): Promise<DeadLetter[]> {
    const journal = this.runningJournal();
    const { deadLetters } = journal.state;
    const missing = ids?.filter((id) => !deadLetters.has(id)) ?? [];
    if (missing.length > 0) throw new DeadLetterNotFoundError(missing);
    const chosen = ids
      ? [...new Set(ids)].map((id) => deadLetters.get(id) as DeadLetter)
      : [...deadLetters.values()];
    if (chosen.length === 0) return [];
    await journal.append([{ type: "redriven", deadLetterIds: chosen.map((deadLetter) => deadLetter.id) }]);
    this.enqueue(
      chosen.map(({ eventBusName, event, ruleName }) => ({
        eventBusName,
        eventId: event.id,
        ruleName,
        failedAttempts: 0,
      })),
    );
    return chosen;
  }

  /** Resolves once every delivery owed so far is done or dead-lettered (never, if the bus closes first). */
  drained(): Promise<void> {
    if (this.runningJournal().state.pendingEvents.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * Stops the schedules and retries, waits up to the grace period for running deliveries and flushes
   * the journal. Deliveries still running after that are abandoned: not recorded as done, they are
   * delivered again by the next start.
   */
  async close(): Promise<void> {
    if (this.lifecycle !== "running") return;
    this.lifecycle = "closing";
    for (const stop of this.stopSchedules.splice(0)) stop();
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    const grace = new AbortController();
    const settled = Promise.allSettled(this.running).then(() => "settled" as const);
    const outcome = await Promise.race([
      settled,
      sleep(this.closeGraceMs, "timeout" as const, { signal: grace.signal }),
    ]);
    grace.abort();
    if (outcome === "timeout") {
      this.logger.warn("Closing with deliveries still running; the next start delivers them again", {
        running: this.running.size,
      });
    }
    this.lifecycle = "closed";
    await this.journal?.close();
  }

  private addRule(rule: LocalRule): void {
    const busName = "schedule" in rule ? SCHEDULE_BUS : rule.eventBusName;
    const rules = this.rulesByBus.get(busName);
    if (!rules)
      throw new BusConfigurationError(`Rule ${rule.name} is on event bus ${busName}, which does not exist`);
    if (rules.has(rule.name))
      throw new BusConfigurationError(`Two rules are named ${rule.name} on event bus ${busName}`);
    if ("schedule" in rule) {
      // Parsed now so a bad expression fails the construction, not a timer later.
      rateIntervalMs(rule.schedule);
      this.scheduledRules.push(rule);
      rules.set(rule.name, { name: rule.name, target: rule.target });
    } else {
      rules.set(rule.name, {
        name: rule.name,
        target: rule.target,
        pattern: validateEventPattern(rule.pattern),
      });
    }
  }

  private runningJournal(): DeliveryJournal {
    if (this.lifecycle !== "running" || !this.journal) {
      throw new BusStateError(`The event bus is ${this.lifecycle === "created" ? "not started" : "closed"}`);
    }
    return this.journal;
  }

  private fireSchedule(rule: ScheduledRule, firedAt: Date): void {
    const event = scheduledEvent(this.region, rule.name, firedAt);
    this.record(this.runningJournal(), [
      { type: "accepted", eventBusName: SCHEDULE_BUS, event, ruleNames: [rule.name] },
    ]).catch((error: unknown) =>
      this.logger.error("Could not record a scheduled event", { rule: rule.name, error }),
    );
  }

  /** Journals accepted events, then queues their deliveries: nothing is delivered before it is durable. */
  private async record(journal: DeliveryJournal, records: AcceptedRecord[]): Promise<void> {
    await journal.append(records);
    this.enqueue(
      records.flatMap(({ eventBusName, event, ruleNames }) =>
        ruleNames.map((ruleName) => ({ eventBusName, eventId: event.id, ruleName, failedAttempts: 0 })),
      ),
    );
  }

  private enqueue(deliveries: PendingDelivery[]): void {
    for (const delivery of deliveries) {
      const key = deliveryKey(delivery);
      if (this.scheduled.has(key)) continue;
      this.scheduled.add(key);
      this.ready.push(delivery);
    }
    this.queuePump();
  }

  /** Targets always start from a fresh macrotask: never inside the promise chain of whoever queued them. */
  private queuePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.lifecycle === "running" && this.running.size < this.maxConcurrentDeliveries) {
      const delivery = this.ready.shift();
      if (!delivery) return;
      // The slot is held until the outcome is durable, so at most `maxConcurrentDeliveries` targets can
      // have run without their outcome on disk: the bound on what a crash delivers twice.
      const run: Promise<void> = this.deliver(delivery).finally(() => {
        this.running.delete(run);
        this.queuePump();
      });
      this.running.add(run);
    }
  }

  private async deliver(delivery: PendingDelivery): Promise<void> {
    const journal = this.runningJournal();
    const pending = journal.state.pendingEvents.get(delivery.eventId);
    if (!pending?.ruleNames.has(delivery.ruleName)) {
      this.scheduled.delete(deliveryKey(delivery));
      return;
    }
    const rule = this.rulesByBus.get(delivery.eventBusName)?.get(delivery.ruleName);
    let failure: DeliveryFailure | undefined;
    if (rule) {
      try {
        await rule.target(structuredClone(pending.event));
      } catch (error) {
        failure = failureOf(error);
      }
    } else {
      failure = failureOf(
        new RuleNotFoundError(`Rule ${delivery.ruleName} is not configured on ${delivery.eventBusName}`),
      );
    }
    // An abandoned delivery stays owed in the journal; the next start delivers it.
    if (this.lifecycle === "closed") return;
    const failedAttempts = delivery.failedAttempts + (failure ? 1 : 0);
    if (failure && rule && failedAttempts < this.maxAttempts) {
      await this.recordFailedAttempt(journal, delivery, failedAttempts);
      // Once closing, a retry is left to the next start rather than to a timer that close() cleared.
      if (this.lifecycle === "running") this.retryLater({ ...delivery, failedAttempts }, failure);
      return;
    }
    const outcome: JournalRecord = failure
      ? {
          type: "dead-lettered",
          deadLetter: {
            id: randomUUID(),
            eventBusName: delivery.eventBusName,
            ruleName: delivery.ruleName,
            event: pending.event,
            error: failure,
            attempts: failedAttempts,
            deadLetteredAt: new Date().toISOString(),
          },
        }
      : { type: "delivered", eventId: delivery.eventId, ruleName: delivery.ruleName };
    try {
      await journal.append([outcome]);
    } catch (error) {
      if (this.lifecycle === "running") {
        this.logger.error("Could not record a delivery outcome; the next start delivers it again", {
          eventId: delivery.eventId,
          rule: delivery.ruleName,
          error,
        });
      }
      return;
    }
    this.scheduled.delete(deliveryKey(delivery));
    if (failure) {
      this.logger.warn("Dead-lettered an event after its last failed delivery", {
        eventId: delivery.eventId,
        rule: delivery.ruleName,
        attempts: failedAttempts,
        error: failure,
      });
    }
    this.notifyIfDrained();
  }

  private async recordFailedAttempt(
    journal: DeliveryJournal,
    delivery: PendingDelivery,
    failedAttempts: number,
  ) {
    try {
      await journal.append([
        { type: "attempt-failed", eventId: delivery.eventId, ruleName: delivery.ruleName, failedAttempts },
      ]);
    } catch (error) {
      // Only the count is lost: a restart retries the delivery with fewer attempts behind it.
      if (this.lifecycle === "running") {
        this.logger.warn("Could not record a failed attempt", {
          eventId: delivery.eventId,
          rule: delivery.ruleName,
          error,
        });
      }
    }
  }

  private retryLater(delivery: PendingDelivery, failure: DeliveryFailure): void {
    const delayMs = retryDelayMs(delivery.failedAttempts, this.retryBaseDelayMs, this.retryMaxDelayMs);
    this.logger.warn("Delivery failed; retrying", {
      eventId: delivery.eventId,
      rule: delivery.ruleName,
      failedAttempts: delivery.failedAttempts,
      delayMs: Math.round(delayMs),
      error: failure,
    });
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.ready.push(delivery);
      this.queuePump();
    }, delayMs);
    this.retryTimers.add(timer);
  }

  private notifyIfDrained(): void {
    if (this.journal?.state.pendingEvents.size !== 0) return;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}
