import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { DurableState, readFileIfExists } from "../durable-file.ts";

/** What a target is, as CreateSchedule takes it and GetSchedule gives it back (defaults filled in). */
export interface ScheduleTarget {
  Arn: string;
  RoleArn: string;
  /** The event's detail, as JSON text; `{}` when absent. */
  Input?: string;
  /** Required locally: the only targets the local Scheduler invokes are EventBridge PutEvents. */
  EventBridgeParameters: { DetailType: string; Source: string };
  DeadLetterConfig?: { Arn?: string };
  RetryPolicy: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number };
}

/** Everything CreateSchedule and UpdateSchedule set: an update replaces all of it, as on AWS. */
export interface ScheduleDefinition {
  expression: string;
  timezone: string;
  description?: string;
  /** Epoch ms; they bound rate() schedules only, as on AWS. */
  startDate?: number;
  endDate?: number;
  state: "ENABLED" | "DISABLED";
  flexibleTimeWindow: { Mode: "OFF" | "FLEXIBLE"; MaximumWindowInMinutes?: number };
  target: ScheduleTarget;
  actionAfterCompletion: "NONE" | "DELETE";
  kmsKeyArn?: string;
}

export interface ScheduleRecord extends ScheduleDefinition {
  groupName: string;
  name: string;
  arn: string;
  creationDate: number;
  lastModificationDate: number;
  /** Counts the definitions the schedule has had: a firing completes only the definition it fired. */
  revision: number;
  /** The next invocation owed (epoch ms, possibly past); absent once the schedule has completed. */
  nextDueAt?: number;
}

export interface GroupRecord {
  name: string;
  arn: string;
  creationDate: number;
  lastModificationDate: number;
}

/**
 * A ClientToken already answered: the same call sent again (the SDK's retry after a lost answer)
 * gets the same answer instead of a conflict, even when its schedule has fired and gone since.
 */
export interface ClientTokenRecord {
  token: string;
  operation: "CreateSchedule" | "DeleteSchedule" | "CreateScheduleGroup";
  /** The schedule (`group/name`) or group it named. */
  resource: string;
  arn: string;
  expiresAt: number;
}

export interface SchedulerState {
  groups: Map<string, GroupRecord>;
  /** By `group/name`. */
  schedules: Map<string, ScheduleRecord>;
  clientTokens: Map<string, ClientTokenRecord>;
}

interface StoredState {
  groups: GroupRecord[];
  schedules: ScheduleRecord[];
  clientTokens: ClientTokenRecord[];
}

export class SchedulerStoreCorruptError extends Error {
  override readonly name = "SchedulerStoreCorruptError";
}

export const scheduleKey = (groupName: string, name: string) => `${groupName}/${name}`;

const emptyState = (): SchedulerState => ({
  groups: new Map(),
  schedules: new Map(),
  clientTokens: new Map(),
});

const serialize = (state: SchedulerState): string =>
  `${JSON.stringify(
    {
      groups: [...state.groups.values()],
      schedules: [...state.schedules.values()],
      clientTokens: [...state.clientTokens.values()],
    } satisfies StoredState,
    null,
    1,
  )}\n`;

const deserialize = (path: string, text: string): SchedulerState => {
  let stored: StoredState;
  try {
    stored = JSON.parse(text) as StoredState;
  } catch (cause) {
    throw new SchedulerStoreCorruptError(`${path} is not the local Scheduler's state`, { cause });
  }
  return {
    groups: new Map(stored.groups.map((group) => [group.name, group])),
    schedules: new Map(
      stored.schedules.map((record) => [scheduleKey(record.groupName, record.name), record]),
    ),
    clientTokens: new Map(stored.clientTokens.map((record) => [record.token, record])),
  };
};

/**
 * The local Scheduler's state, one JSON file under `DATA_DIR/scheduler/`. A change is made to a copy,
 * written whole and fsynced, and only then becomes the state (DurableState): what anyone reads has
 * survived a crash. Changes run one at a time. A schedule is a handful of fields and a stack holds a few
 * per pending request, so rewriting the file beats a journal's replay and compaction here.
 */
export class SchedulerStore {
  private constructor(private readonly stored: DurableState<SchedulerState>) {}

  static async open(dataDir: string): Promise<SchedulerStore> {
    const directory = join(dataDir, "scheduler");
    await mkdir(directory, { recursive: true });
    const path = join(directory, "schedules.json");
    const text = await readFileIfExists(path);
    const state = text === undefined ? emptyState() : deserialize(path, text);
    return new SchedulerStore(new DurableState(path, state, serialize));
  }

  get state(): Readonly<SchedulerState> {
    return this.stored.value;
  }

  /**
   * Applies `change` to a copy of the state and resolves with its result once the copy is on disk and
   * has become the state. A change that throws leaves everything as it was.
   */
  change<T>(change: (draft: SchedulerState) => T): Promise<T> {
    return this.stored.change(change);
  }

  /** Resolves once every change asked for so far has finished. */
  settled(): Promise<void> {
    return this.stored.settled();
  }
}
