import { appendFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { busEvent, temporaryDataDir } from "../../../test/support/bus.ts";
import {
  DeliveryJournal,
  JournalCorruptError,
  JournalState,
  journalDirectory,
  readJournalState,
} from "./journal.ts";
import type { DeadLetter } from "./types.ts";

const dataDirs: string[] = [];

afterEach(async () => {
  await Promise.all(dataDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const newDataDir = async () => {
  const dir = await temporaryDataDir();
  dataDirs.push(dir);
  return dir;
};

const journalFile = (dataDir: string) => join(journalDirectory(dataDir), "journal.ndjson");

const deadLetterOf = (overrides: Partial<DeadLetter> = {}): DeadLetter => ({
  id: "dl-1",
  eventBusName: "approvals",
  ruleName: "b",
  event: busEvent(),
  error: { name: "Error", message: "boom" },
  attempts: 8,
  deadLetteredAt: new Date().toISOString(),
  ...overrides,
});

describe("JournalState", () => {
  it("owes each accepted (event, rule) until it is delivered or dead-lettered, and again once redriven", () => {
    const event = busEvent();
    const deadLetter = deadLetterOf({ event, ruleName: "b" });
    const state = new JournalState();

    state.apply({ type: "accepted", eventBusName: "approvals", event, ruleNames: ["a", "b"] });
    state.apply({ type: "delivered", eventId: event.id, ruleName: "a" });
    state.apply({ type: "dead-lettered", deadLetter });
    const afterFailure = { pending: state.pendingDeliveries(), deadLetters: [...state.deadLetters.values()] };
    state.apply({ type: "redriven", deadLetterIds: [deadLetter.id] });

    expect(afterFailure).toEqual({ pending: [], deadLetters: [deadLetter] });
    expect(state.pendingDeliveries()).toEqual([
      { eventBusName: "approvals", eventId: event.id, ruleName: "b", failedAttempts: 0 },
    ]);
    expect(state.deadLetters.size).toBe(0);
  });
});

describe("DeliveryJournal", () => {
  it("ignores the record a crash cut short and appends cleanly after it", async () => {
    const dataDir = await newDataDir();
    const [kept, added] = [busEvent(), busEvent()];
    const { journal } = await DeliveryJournal.open(dataDir);
    await journal.append([{ type: "accepted", eventBusName: "approvals", event: kept, ruleNames: ["r"] }]);
    await journal.close();
    await appendFile(journalFile(dataDir), '{"type":"delivered","eventId":"');

    const reopened = await DeliveryJournal.open(dataDir);
    await reopened.journal.append([
      { type: "accepted", eventBusName: "approvals", event: added, ruleNames: ["r"] },
    ]);
    await reopened.journal.close();
    const replayed = await readJournalState(dataDir);

    expect(reopened.tornTailBytes).toBeGreaterThan(0);
    expect(replayed.pendingDeliveries().map(({ eventId }) => eventId)).toEqual([kept.id, added.id]);
  });

  it("refuses a journal whose complete lines are not records rather than guess", async () => {
    const dataDir = await newDataDir();
    const { journal } = await DeliveryJournal.open(dataDir);
    await journal.close();
    await writeFile(journalFile(dataDir), 'not json\n{"type":"redriven","deadLetterIds":[]}\n');

    await expect(DeliveryJournal.open(dataDir)).rejects.toThrow(JournalCorruptError);
  });

  it("counts failed attempts per owed rule until the rule is settled, and from zero once redriven", () => {
    const event = busEvent();
    const state = new JournalState();

    state.apply({ type: "accepted", eventBusName: "approvals", event, ruleNames: ["a", "b"] });
    state.apply({ type: "attempt-failed", eventId: event.id, ruleName: "a", failedAttempts: 1 });
    state.apply({ type: "attempt-failed", eventId: event.id, ruleName: "a", failedAttempts: 2 });
    const whileFailing = state
      .pendingDeliveries()
      .map(({ ruleName, failedAttempts }) => [ruleName, failedAttempts]);
    const deadLetter = deadLetterOf({ event, ruleName: "a", attempts: 3 });
    state.apply({ type: "dead-lettered", deadLetter });
    state.apply({ type: "redriven", deadLetterIds: [deadLetter.id] });

    expect(whileFailing).toEqual([
      ["a", 2],
      ["b", 0],
    ]);
    expect(
      state.pendingDeliveries().map(({ ruleName, failedAttempts }) => [ruleName, failedAttempts]),
    ).toEqual([
      ["b", 0],
      ["a", 0],
    ]);
  });

  it("stays bounded by compacting away settled events, keeping what is owed and the dead letters", async () => {
    const dataDir = await newDataDir();
    const owed = busEvent();
    const deadLetter = deadLetterOf();
    const { journal } = await DeliveryJournal.open(dataDir, { compactionMinBytes: 8 * 1024 });
    await journal.append([
      { type: "accepted", eventBusName: "approvals", event: owed, ruleNames: ["r"] },
      { type: "attempt-failed", eventId: owed.id, ruleName: "r", failedAttempts: 3 },
      { type: "dead-lettered", deadLetter },
    ]);

    let largest = 0;
    for (let round = 0; round < 300; round++) {
      const event = busEvent({ detail: { padding: "x".repeat(200) } });
      await journal.append([{ type: "accepted", eventBusName: "approvals", event, ruleNames: ["r"] }]);
      await journal.append([{ type: "delivered", eventId: event.id, ruleName: "r" }]);
      largest = Math.max(largest, (await stat(journalFile(dataDir))).size);
    }
    await journal.close();
    const replayed = await readJournalState(dataDir);

    expect(largest).toBeLessThan(16 * 1024);
    expect(replayed.pendingDeliveries()).toEqual([
      { eventBusName: "approvals", eventId: owed.id, ruleName: "r", failedAttempts: 3 },
    ]);
    expect([...replayed.deadLetters.values()]).toEqual([deadLetter]);
  });
});
