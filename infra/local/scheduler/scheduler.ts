import { createHash } from "node:crypto";
import { retryDelayMs } from "../eventbridge/bus.ts";
import { newBusEvent } from "../eventbridge/envelope.ts";
import { type AcceptedEvent, type EventBusEngine, LOCAL_ACCOUNT_ID } from "../eventbridge/types.ts";
import { groupNotFound, SchedulerApiError, scheduleNotFound } from "./errors.ts";
import { instantOf, parseScheduleExpression } from "./expression.ts";
import {
  type ClientTokenRecord,
  type GroupRecord,
  type ScheduleDefinition,
  type ScheduleRecord,
  type SchedulerState,
  SchedulerStore,
  scheduleKey,
} from "./store.ts";

/** Every account's built-in group, which exists without being created and cannot be. */
export const DEFAULT_GROUP = "default";

/** How long a ClientToken's answer is kept: far past any SDK retry of the call that carried it. */
const CLIENT_TOKEN_TTL_MS = 3_600_000;

/** setTimeout's limit; a schedule further off is looked at again after this long. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 60_000;

const BUS_ARN = /^arn:aws[\w-]*:events:([^:]+):(\d{12}):event-bus\/(.+)$/;

/** The order listings page in: NextToken resumes after a key by comparing code units the same way. */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The region, account and bus name of an event bus ARN, or `undefined` for any other ARN. */
export const eventBusOfArn = (arn: string) => {
  const match = BUS_ARN.exec(arn);
  return match
    ? { region: match[1] as string, account: match[2] as string, name: match[3] as string }
    : undefined;
};

/**
 * The id of the event one invocation puts on the bus, the same each time that invocation is attempted:
 * from the schedule's identity (ARN, creation, definition) and the time it was due.
 */
const invocationEventId = (record: ScheduleRecord, dueAt: number): string => {
  const hash = createHash("sha256")
    .update(`${record.arn}\n${record.creationDate}\n${record.revision}\n${dueAt}`)
    .digest("hex");
  // Shaped as an RFC 9562 UUID of version 8 (custom), like the random ids EventBridge gives events.
  const variant = ((Number.parseInt(hash[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hash.slice(0, 8)}-${hash.slice(8, 12)}-8${hash.slice(13, 16)}-${variant}${hash.slice(17, 20)}-${hash.slice(20, 32)}`;
};

export interface SchedulerLogger {
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

export interface LocalSchedulerOptions {
  dataDir: string;
  bus: EventBusEngine;
  /** The stack's region: the ARN of the groups it declares. */
  region: string;
  /** The role every schedule must name: the only one the services may pass, as `iam:PassRole` allows on AWS. */
  roleArn: string;
  /** Groups the stack declares, made on the first start as the CDK app makes the stack's group. */
  groups?: readonly string[];
  /** Fires rate() schedules at this period instead of their own, for tests. */
  rateIntervalOverrideMs?: number;
  logger?: SchedulerLogger;
}

/** A schedule's identity and definition, as an API call names them. */
export interface ScheduleRequest {
  groupName: string;
  name: string;
  definition: ScheduleDefinition;
  clientToken?: string;
  /** The region of the call: schedule ARNs carry it, as each region has schedules of its own on AWS. */
  region: string;
  /** Who called, for the refusal of a role they may not pass. */
  callerArn: string;
}

interface Invocation {
  key: string;
  record: ScheduleRecord;
  dueAt: number;
}

/** Failed attempts at a schedule's due invocation, kept in memory: a restart tries it afresh. */
interface Retry {
  failures: number;
  retryAt: number;
}

type Lifecycle = "opened" | "running" | "closed";

/**
 * EventBridge Scheduler with EventBridge PutEvents targets: schedules are kept in a durable store and
 * each due invocation puts its event on the local bus, where rules, retries and dead letters apply as
 * to any event.
 *
 * An invocation is at least once, never lost: the bus journals the event (fsynced) before the store
 * records the invocation done. A crash between the two invokes it again on the next start, with the
 * same event id (`invocationEventId`), and the bus merges that copy into the delivery it still owes for
 * the original (see `start`). Only when the bus had also delivered the original in that window, one
 * file write long, do consumers get the copy, under the same id. A schedule due while the stack was
 * down fires once when it starts again, late; a rate() schedule that missed several periods fires once.
 * Invocations come at their time to the millisecond, not within AWS's minute, and a FLEXIBLE window
 * fires at its start.
 */
export class LocalScheduler {
  private lifecycle: Lifecycle = "opened";
  private timer: NodeJS.Timeout | undefined;
  private firing: Promise<void> | undefined;
  private readonly retries = new Map<string, Retry>();
  private readonly logger: SchedulerLogger;

  private constructor(
    private readonly store: SchedulerStore,
    private readonly options: LocalSchedulerOptions,
  ) {
    this.logger = options.logger ?? console;
  }

  /** Reads the schedules kept under the data directory and makes the declared groups missing there. */
  static async open(options: LocalSchedulerOptions): Promise<LocalScheduler> {
    const store = await SchedulerStore.open(options.dataDir);
    const scheduler = new LocalScheduler(store, options);
    const missing = (options.groups ?? []).filter((name) => !store.state.groups.has(name));
    if (missing.length > 0) {
      const now = Date.now();
      await store.change((draft) => {
        for (const name of missing) draft.groups.set(name, scheduler.newGroup(name, options.region, now));
      });
    }
    return scheduler;
  }

  /**
   * Starts firing: whatever fell due while the stack was down fires now. Call it right after the bus's
   * `start()`, in the same turn: this first firing then reaches the bus's journal before any delivery the
   * bus resumes can finish, so an invocation the bus journaled just before a crash merges into the
   * delivery the bus owes for it instead of being delivered twice.
   */
  start(): void {
    if (this.lifecycle !== "opened") return;
    this.lifecycle = "running";
    this.fireDue();
  }

  /** Stops firing and waits for an invocation under way; its schedule is left due if it did not finish. */
  async close(): Promise<void> {
    if (this.lifecycle === "closed") return;
    this.lifecycle = "closed";
    clearTimeout(this.timer);
    await this.firing;
    await this.store.settled();
  }

  async createSchedule({ groupName, name, definition, clientToken, region, callerArn }: ScheduleRequest) {
    this.checkRole(definition, callerArn);
    const now = Date.now();
    const key = scheduleKey(groupName, name);
    const arn = await this.store.change((draft) => {
      const answered = this.answeredToken(draft, now, clientToken, "CreateSchedule", key);
      if (answered) return answered;
      this.checkGroup(draft, groupName);
      if (draft.schedules.has(key)) {
        throw new SchedulerApiError("ConflictException", `Schedule ${name} already exists.`);
      }
      const record: ScheduleRecord = {
        ...definition,
        groupName,
        name,
        arn: `arn:aws:scheduler:${region}:${LOCAL_ACCOUNT_ID}:schedule/${groupName}/${name}`,
        creationDate: now,
        lastModificationDate: now,
        revision: 1,
      };
      draft.schedules.set(key, this.withFirstDue(record));
      this.rememberToken(draft, now, clientToken, "CreateSchedule", key, record.arn);
      return record.arn;
    });
    this.arm();
    return arn;
  }

  async updateSchedule({ groupName, name, definition, callerArn }: ScheduleRequest) {
    this.checkRole(definition, callerArn);
    const now = Date.now();
    const key = scheduleKey(groupName, name);
    const arn = await this.store.change((draft) => {
      this.checkGroup(draft, groupName);
      const existing = draft.schedules.get(key);
      if (!existing) throw scheduleNotFound(name);
      const record: ScheduleRecord = {
        ...definition,
        groupName,
        name,
        arn: existing.arn,
        creationDate: existing.creationDate,
        lastModificationDate: now,
        revision: existing.revision + 1,
      };
      draft.schedules.set(key, this.withFirstDue(record));
      return record.arn;
    });
    this.retries.delete(key);
    this.arm();
    return arn;
  }

  async deleteSchedule(groupName: string, name: string, clientToken?: string): Promise<void> {
    const now = Date.now();
    const key = scheduleKey(groupName, name);
    await this.store.change((draft) => {
      if (this.answeredToken(draft, now, clientToken, "DeleteSchedule", key)) return;
      this.checkGroup(draft, groupName);
      const existing = draft.schedules.get(key);
      if (!existing) throw scheduleNotFound(name);
      draft.schedules.delete(key);
      this.rememberToken(draft, now, clientToken, "DeleteSchedule", key, existing.arn);
    });
    this.retries.delete(key);
    this.arm();
  }

  getSchedule(groupName: string, name: string): ScheduleRecord {
    const { state } = this.store;
    this.checkGroup(state, groupName);
    const record = state.schedules.get(scheduleKey(groupName, name));
    if (!record) throw scheduleNotFound(name);
    return record;
  }

  /** Every schedule matching the filters, ordered by group and name, as ListSchedules pages through them. */
  listSchedules(filter: { groupName?: string; namePrefix?: string; state?: string }): ScheduleRecord[] {
    return [...this.store.state.schedules.values()]
      .filter(
        (record) =>
          (filter.groupName === undefined || record.groupName === filter.groupName) &&
          record.name.startsWith(filter.namePrefix ?? "") &&
          (filter.state === undefined || record.state === filter.state),
      )
      .sort((a, b) => byCodeUnits(scheduleKey(a.groupName, a.name), scheduleKey(b.groupName, b.name)));
  }

  async createGroup(name: string, region: string, clientToken?: string): Promise<string> {
    if (name === DEFAULT_GROUP) {
      throw new SchedulerApiError(
        "ValidationException",
        `This operation cannot be performed on schedule group ${DEFAULT_GROUP}.`,
      );
    }
    const now = Date.now();
    return this.store.change((draft) => {
      const answered = this.answeredToken(draft, now, clientToken, "CreateScheduleGroup", name);
      if (answered) return answered;
      if (draft.groups.has(name)) {
        throw new SchedulerApiError("ConflictException", `Schedule group ${name} already exists.`);
      }
      const group = this.newGroup(name, region, now);
      draft.groups.set(name, group);
      this.rememberToken(draft, now, clientToken, "CreateScheduleGroup", name, group.arn);
      return group.arn;
    });
  }

  /** A group; the default one has no dates, as it was never created. */
  getGroup(name: string): Omit<GroupRecord, "creationDate" | "lastModificationDate"> & Partial<GroupRecord> {
    if (name === DEFAULT_GROUP) return { name, arn: this.groupArn(name, this.options.region) };
    const group = this.store.state.groups.get(name);
    if (!group) throw groupNotFound(name);
    return group;
  }

  listGroups(namePrefix = ""): ReturnType<LocalScheduler["getGroup"]>[] {
    return [DEFAULT_GROUP, ...this.store.state.groups.keys()]
      .sort(byCodeUnits)
      .filter((name) => name.startsWith(namePrefix))
      .map((name) => this.getGroup(name));
  }

  private groupArn(name: string, region: string) {
    return `arn:aws:scheduler:${region}:${LOCAL_ACCOUNT_ID}:schedule-group/${name}`;
  }

  private newGroup(name: string, region: string, now: number): GroupRecord {
    return { name, arn: this.groupArn(name, region), creationDate: now, lastModificationDate: now };
  }

  private checkGroup(state: Readonly<SchedulerState>, groupName: string): void {
    if (groupName !== DEFAULT_GROUP && !state.groups.has(groupName)) throw groupNotFound(groupName);
  }

  private checkRole({ target }: ScheduleDefinition, callerArn: string): void {
    if (target.RoleArn === this.options.roleArn) return;
    throw new SchedulerApiError(
      "AccessDeniedException",
      `User: ${callerArn} is not authorized to perform: iam:PassRole on resource: ${target.RoleArn}`,
    );
  }

  /** The ARN a ClientToken already answered this call with, if it did; expired tokens are dropped. */
  private answeredToken(
    draft: SchedulerState,
    now: number,
    token: string | undefined,
    operation: ClientTokenRecord["operation"],
    resource: string,
  ): string | undefined {
    for (const [key, record] of draft.clientTokens)
      if (record.expiresAt <= now) draft.clientTokens.delete(key);
    const answered = token === undefined ? undefined : draft.clientTokens.get(token);
    return answered?.operation === operation && answered.resource === resource ? answered.arn : undefined;
  }

  private rememberToken(
    draft: SchedulerState,
    now: number,
    token: string | undefined,
    operation: ClientTokenRecord["operation"],
    resource: string,
    arn: string,
  ): void {
    if (token === undefined) return;
    draft.clientTokens.set(token, { token, operation, resource, arn, expiresAt: now + CLIENT_TOKEN_TTL_MS });
  }

  private intervalOf(record: ScheduleRecord): number | undefined {
    const expression = parseScheduleExpression(record.expression);
    if (expression.kind !== "rate") return undefined;
    return this.options.rateIntervalOverrideMs ?? expression.intervalMs;
  }

  /** A new definition's first invocation: its at() time, or a rate()'s start (at once without a StartDate). */
  private withFirstDue(record: ScheduleRecord): ScheduleRecord {
    const expression = parseScheduleExpression(record.expression);
    const first =
      expression.kind === "at"
        ? instantOf(expression.wallClockMs, record.timezone)
        : (record.startDate ?? record.lastModificationDate);
    const ended = expression.kind === "rate" && record.endDate !== undefined && first > record.endDate;
    return ended ? record : { ...record, nextDueAt: first };
  }

  /** A rate()'s next invocation after `now`, on the grid of its start; none for at() or past its EndDate. */
  private nextDueAfter(record: ScheduleRecord, now: number): number | undefined {
    const intervalMs = this.intervalOf(record);
    if (intervalMs === undefined) return undefined;
    const anchor = record.startDate ?? record.lastModificationDate;
    const next = anchor + (Math.floor((now - anchor) / intervalMs) + 1) * intervalMs;
    return record.endDate !== undefined && next > record.endDate ? undefined : next;
  }

  private isDue(key: string, record: ScheduleRecord, now: number): boolean {
    return (
      record.state === "ENABLED" &&
      record.nextDueAt !== undefined &&
      record.nextDueAt <= now &&
      (this.retries.get(key)?.retryAt ?? 0) <= now
    );
  }

  /** Sets the timer for the next invocation due, or retry owed; any mutation calls it again. */
  private arm(): void {
    if (this.lifecycle !== "running") return;
    clearTimeout(this.timer);
    let next: number | undefined;
    for (const [key, record] of this.store.state.schedules) {
      if (record.state !== "ENABLED" || record.nextDueAt === undefined) continue;
      const at = Math.max(record.nextDueAt, this.retries.get(key)?.retryAt ?? 0);
      next = next === undefined ? at : Math.min(next, at);
    }
    if (next === undefined) return;
    this.timer = setTimeout(() => this.fireDue(), Math.min(Math.max(next - Date.now(), 0), MAX_TIMER_MS));
    // The servers keep the stack's process alive; a schedule alone should not keep a test's.
    this.timer.unref();
  }

  private fireDue(): void {
    if (this.firing || this.lifecycle !== "running") return;
    this.firing = this.fireDueNow()
      .catch((error: unknown) => this.logger.error("[scheduler] firing schedules failed", { error }))
      .finally(() => {
        this.firing = undefined;
        this.arm();
      });
  }

  private async fireDueNow(): Promise<void> {
    const now = Date.now();
    const due: Invocation[] = [...this.store.state.schedules]
      .filter(([key, record]) => this.isDue(key, record, now))
      .map(([key, record]) => ({ key, record, dueAt: record.nextDueAt as number }));
    if (due.length === 0) return;

    const done: Invocation[] = [];
    const deliverable: { invocation: Invocation; event: AcceptedEvent }[] = [];
    for (const invocation of due) {
      const event = this.eventOf(invocation, now);
      if (event) deliverable.push({ invocation, event });
      else {
        // AWS does not retry an invocation whose target does not exist: it goes to the DLQ at once.
        this.giveUp(invocation, `the event bus ${invocation.record.target.Arn} does not exist`);
        done.push(invocation);
      }
    }
    if (deliverable.length > 0) {
      try {
        await this.options.bus.accept(deliverable.map(({ event }) => event));
        done.push(...deliverable.map(({ invocation }) => invocation));
      } catch (error) {
        for (const { invocation } of deliverable)
          if (this.failedAttempt(invocation, error, now)) done.push(invocation);
      }
    }
    try {
      await this.store.change((draft) => {
        for (const invocation of done) this.complete(draft, invocation, now);
      });
    } catch (error) {
      // The events are on the bus; recording it failed, so the invocations stay due and are retried
      // with the same event ids, after a pause rather than at once.
      this.logger.error("[scheduler] could not record fired schedules; they fire again", { error });
      for (const { key } of done) {
        const failures = this.retries.get(key)?.failures ?? 0;
        this.retries.set(key, { failures, retryAt: now + retryDelayMs(1, RETRY_BASE_MS, RETRY_MAX_MS) });
      }
      return;
    }
    for (const { key } of done) this.retries.delete(key);
  }

  /** The event an invocation puts on the bus, or `undefined` when its bus does not exist. */
  private eventOf({ record, dueAt }: Invocation, firedAt: number): AcceptedEvent | undefined {
    const { target } = record;
    const bus = eventBusOfArn(target.Arn);
    if (!bus || !this.options.bus.busNames.includes(bus.name)) return undefined;
    const event = newBusEvent({
      source: target.EventBridgeParameters.Source,
      detailType: target.EventBridgeParameters.DetailType,
      detail: JSON.parse(target.Input ?? "{}"),
      region: bus.region,
      account: bus.account,
      resources: [record.arn],
      time: new Date(firedAt),
    });
    return { eventBusName: bus.name, event: { ...event, id: invocationEventId(record, dueAt) } };
  }

  /** Counts a failed attempt; true when the retry policy is spent and the invocation is given up. */
  private failedAttempt(invocation: Invocation, error: unknown, now: number): boolean {
    const { key, record, dueAt } = invocation;
    const failures = (this.retries.get(key)?.failures ?? 0) + 1;
    const { MaximumRetryAttempts, MaximumEventAgeInSeconds } = record.target.RetryPolicy;
    if (failures > MaximumRetryAttempts || now - dueAt >= MaximumEventAgeInSeconds * 1000) {
      this.giveUp(invocation, error instanceof Error ? error.message : String(error));
      return true;
    }
    const delayMs = retryDelayMs(failures, RETRY_BASE_MS, RETRY_MAX_MS);
    this.retries.set(key, { failures, retryAt: now + delayMs });
    this.logger.warn("[scheduler] could not put a schedule's event on the bus; retrying", {
      schedule: record.arn,
      failures,
      delayMs: Math.round(delayMs),
      error,
    });
    return false;
  }

  private giveUp({ record, dueAt }: Invocation, reason: string): void {
    this.logger.error("[scheduler] a schedule's invocation failed for good; on AWS it goes to the DLQ", {
      schedule: record.arn,
      dueAt: new Date(dueAt).toISOString(),
      deadLetterQueue: record.target.DeadLetterConfig?.Arn ?? "none",
      reason,
    });
  }

  /** Records an invocation done: a rate() moves on, an at() completes (deleted after, if it asks). */
  private complete(draft: SchedulerState, { key, record: fired }: Invocation, now: number): void {
    const record = draft.schedules.get(key);
    // Deleted or given a new definition while it fired: what it is now owes nothing for the old one.
    if (!record || record.revision !== fired.revision) return;
    const next = this.nextDueAfter(record, now);
    if (next !== undefined) record.nextDueAt = next;
    else if (record.actionAfterCompletion === "DELETE") draft.schedules.delete(key);
    else delete record.nextDueAt;
  }
}
