import { type FileHandle, mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import { readFileIfExists, replaceFileDurably } from "../durable-file.ts";
import type { BusEvent, DeadLetter } from "./types.ts";

/**
 * One line of the journal. The journal is the bus's only state on disk: replaying its records in order
 * gives the deliveries still owed and the dead letters, so every change is a single appended line and
 * a crash can never leave two files disagreeing.
 */
export type JournalRecord =
  | { type: "accepted"; eventBusName: string; event: BusEvent; ruleNames: string[] }
  | { type: "delivered"; eventId: string; ruleName: string }
  // So that a restart goes on counting towards the dead-letter store instead of starting over.
  | { type: "attempt-failed"; eventId: string; ruleName: string; failedAttempts: number }
  | { type: "dead-lettered"; deadLetter: DeadLetter }
  | { type: "redriven"; deadLetterIds: string[] };

export type AcceptedRecord = Extract<JournalRecord, { type: "accepted" }>;

/** An accepted event with the rules it is still owed to. */
export interface PendingEvent {
  eventBusName: string;
  event: BusEvent;
  ruleNames: Set<string>;
  /** Failed attempts so far, per rule still owed; a rule not listed has none. */
  failedAttempts: Map<string, number>;
}

export interface PendingDelivery {
  eventBusName: string;
  eventId: string;
  ruleName: string;
  failedAttempts: number;
}

export class JournalCorruptError extends Error {
  override readonly name = "JournalCorruptError";
}

export class JournalClosedError extends Error {
  override readonly name = "JournalClosedError";
}

export class JournalWriteError extends Error {
  override readonly name = "JournalWriteError";
}

/** What the records replayed so far say: deliveries owed and dead letters, in journal order. */
export class JournalState {
  readonly pendingEvents = new Map<string, PendingEvent>();
  readonly deadLetters = new Map<string, DeadLetter>();

  apply(record: JournalRecord): void {
    switch (record.type) {
      case "accepted":
        this.owe(record.eventBusName, record.event, record.ruleNames);
        break;
      case "delivered":
        this.settle(record.eventId, record.ruleName);
        break;
      case "attempt-failed": {
        const pending = this.pendingEvents.get(record.eventId);
        if (pending?.ruleNames.has(record.ruleName)) {
          pending.failedAttempts.set(record.ruleName, record.failedAttempts);
        }
        break;
      }
      case "dead-lettered":
        this.settle(record.deadLetter.event.id, record.deadLetter.ruleName);
        this.deadLetters.set(record.deadLetter.id, record.deadLetter);
        break;
      case "redriven":
        for (const id of record.deadLetterIds) {
          const deadLetter = this.deadLetters.get(id);
          if (!deadLetter) continue;
          this.deadLetters.delete(id);
          this.owe(deadLetter.eventBusName, deadLetter.event, [deadLetter.ruleName]);
        }
        break;
    }
  }

  isPending(eventId: string, ruleName: string): boolean {
    return this.pendingEvents.get(eventId)?.ruleNames.has(ruleName) ?? false;
  }

  pendingDeliveries(): PendingDelivery[] {
    return [...this.pendingEvents.values()].flatMap(({ eventBusName, event, ruleNames, failedAttempts }) =>
      [...ruleNames].map((ruleName) => ({
        eventBusName,
        eventId: event.id,
        ruleName,
        failedAttempts: failedAttempts.get(ruleName) ?? 0,
      })),
    );
  }

  /** The shortest journal that replays to this state. */
  snapshot(): JournalRecord[] {
    return [
      ...[...this.pendingEvents.values()].map(
        ({ eventBusName, event, ruleNames }): JournalRecord => ({
          type: "accepted",
          eventBusName,
          event,
          ruleNames: [...ruleNames],
        }),
      ),
      ...[...this.pendingEvents.values()].flatMap(({ event, failedAttempts }) =>
        [...failedAttempts].map(
          ([ruleName, count]): JournalRecord => ({
            type: "attempt-failed",
            eventId: event.id,
            ruleName,
            failedAttempts: count,
          }),
        ),
      ),
      ...[...this.deadLetters.values()].map(
        (deadLetter): JournalRecord => ({ type: "dead-lettered", deadLetter }),
      ),
    ];
  }

  private owe(eventBusName: string, event: BusEvent, ruleNames: string[]): void {
    if (ruleNames.length === 0) return;
    const pending = this.pendingEvents.get(event.id);
    if (pending) {
      for (const ruleName of ruleNames) {
        pending.ruleNames.add(ruleName);
        pending.failedAttempts.delete(ruleName);
      }
    } else {
      this.pendingEvents.set(event.id, {
        eventBusName,
        event,
        ruleNames: new Set(ruleNames),
        failedAttempts: new Map(),
      });
    }
  }

  private settle(eventId: string, ruleName: string): void {
    const pending = this.pendingEvents.get(eventId);
    if (!pending) return;
    pending.ruleNames.delete(ruleName);
    pending.failedAttempts.delete(ruleName);
    if (pending.ruleNames.size === 0) this.pendingEvents.delete(eventId);
  }
}

export const journalDirectory = (dataDir: string) => join(dataDir, "eventbridge");
const journalPath = (dataDir: string) => join(journalDirectory(dataDir), "journal.ndjson");

interface ReplayedJournal {
  state: JournalState;
  /** Bytes after the last complete line: a record a crash cut short, never acknowledged to anyone. */
  tornTailBytes: number;
}

const replay = async (dataDir: string): Promise<ReplayedJournal> => {
  const state = new JournalState();
  const text = await readFileIfExists(journalPath(dataDir));
  if (text === undefined) return { state, tornTailBytes: 0 };
  const lines = text.split("\n");
  // Whatever follows the last newline was being written when the process died.
  const tornTail = lines.pop() ?? "";
  lines.forEach((line, index) => {
    let record: JournalRecord;
    try {
      record = JSON.parse(line) as JournalRecord;
    } catch (error) {
      throw new JournalCorruptError(`Line ${index + 1} of ${journalPath(dataDir)} is not a journal record`, {
        cause: error,
      });
    }
    state.apply(record);
  });
  return { state, tornTailBytes: Buffer.byteLength(tornTail) };
};

/** Reads the journal without changing it: what a bus started on this data directory would owe. */
export const readJournalState = async (dataDir: string): Promise<JournalState> =>
  (await replay(dataDir)).state;

const serialize = (records: JournalRecord[]) =>
  records.map((record) => `${JSON.stringify(record)}\n`).join("");

interface QueuedAppend {
  text: string;
  records: JournalRecord[];
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface JournalOptions {
  /** The journal is rewritten from the live state once it exceeds this and four times its last compacted size. */
  compactionMinBytes?: number;
}

/**
 * The append-only, fsynced journal. Appends from concurrent callers are committed together (one write,
 * one fdatasync per batch); the state reflects a record only once it is durable.
 */
export class DeliveryJournal {
  private readonly queue: QueuedAppend[] = [];
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;
  private compactedBytes = 0;

  private constructor(
    private readonly dataDir: string,
    private handle: FileHandle,
    private bytes: number,
    readonly state: JournalState,
    private readonly compactionMinBytes: number,
  ) {}

  /**
   * Replays the journal and rewrites it compacted, which also drops a torn tail before anything is
   * appended after it.
   */
  static async open(
    dataDir: string,
    { compactionMinBytes = 16 * 1024 * 1024 }: JournalOptions = {},
  ): Promise<{ journal: DeliveryJournal; tornTailBytes: number }> {
    await mkdir(journalDirectory(dataDir), { recursive: true });
    const { state, tornTailBytes } = await replay(dataDir);
    const bytes = await DeliveryJournal.rewrite(dataDir, state);
    const handle = await open(journalPath(dataDir), "a");
    const journal = new DeliveryJournal(dataDir, handle, bytes, state, compactionMinBytes);
    journal.compactedBytes = bytes;
    return { journal, tornTailBytes };
  }

  /** Resolves once the records are on disk and applied to the state. */
  append(records: JournalRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new JournalClosedError("The journal is closed"));
    if (this.failure) return Promise.reject(this.failure);
    const text = serialize(records);
    return new Promise((resolve, reject) => {
      this.queue.push({ text, records, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /** Flushes what was appended before, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing;
    await this.handle.close();
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        if (this.bytes > Math.max(this.compactionMinBytes, this.compactedBytes * 4)) await this.compact();
        const text = batch.map((append) => append.text).join("");
        await this.handle.appendFile(text);
        await this.handle.datasync();
        this.bytes += Buffer.byteLength(text);
      } catch (error) {
        // A failed write may have left part of a line behind; appending after it would corrupt the
        // journal, so it refuses everything until a restart replays and rewrites it.
        this.failure = new JournalWriteError(`Writing the event journal under ${this.dataDir} failed`, {
          cause: error,
        });
        for (const append of [...batch, ...this.queue.splice(0)]) append.reject(this.failure);
        break;
      }
      for (const append of batch) {
        for (const record of append.records) this.state.apply(record);
        append.resolve();
      }
    }
    // Cleared in the same microtask that found the queue empty: an append made by a continuation of
    // the batch just resolved must start a new flush rather than wait on this finished one.
    this.flushing = undefined;
  }

  private async compact(): Promise<void> {
    await this.handle.close();
    this.bytes = await DeliveryJournal.rewrite(this.dataDir, this.state);
    this.compactedBytes = this.bytes;
    this.handle = await open(journalPath(this.dataDir), "a");
  }

  /** Replaces the journal with the snapshot of the state, atomically. */
  private static async rewrite(dataDir: string, state: JournalState): Promise<number> {
    const text = serialize(state.snapshot());
    await replaceFileDurably(journalPath(dataDir), text);
    return Buffer.byteLength(text);
  }
}
