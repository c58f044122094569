import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { readJournalState } from "../../infra/local/eventbridge/journal.ts";
import type { ChildMessage, ParentMessage } from "../fixtures/bus-crash-child.ts";
import { busEvent, temporaryDataDir } from "../support/bus.ts";

const CHILD_SCRIPT = fileURLToPath(new URL("../fixtures/bus-crash-child.ts", import.meta.url));
const RULES = ["by-source", "by-type"];
const EVENT_COUNT = 2_000;
const BATCH_SIZE = 10;
/** PutEvents calls the parent keeps open at once, so the kill lands while the burst is still arriving. */
const BATCHES_IN_FLIGHT = 4;
const KILL_AFTER_ACCEPTED = 1_000;
const MAX_CONCURRENT_DELIVERIES = 8;

const children: ChildProcess[] = [];
let dataDir: string | undefined;

afterEach(async () => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const startBusProcess = async (deliveriesFile: string, generation: number) => {
  const child = fork(
    CHILD_SCRIPT,
    [dataDir ?? "", deliveriesFile, String(generation), String(MAX_CONCURRENT_DELIVERIES)],
    {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  children.push(child);
  const send = (message: ParentMessage) => child.send(message);
  const nextMessage = (type: ChildMessage["type"]) =>
    new Promise<void>((resolve) => {
      const listener = (message: ChildMessage) => {
        if (message.type !== type) return;
        child.off("message", listener);
        resolve();
      };
      child.on("message", listener);
    });
  await nextMessage("ready");
  return { child, send, nextMessage };
};

/** Each line the targets wrote: which process generation delivered which event to which rule. */
const readDeliveries = async (file: string) =>
  (await readFile(file, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [generation, rule, eventId] = line.split(" ");
      return { generation: Number(generation), key: `${rule} ${eventId}` };
    });

describe("the local bus killed with SIGKILL mid-burst", () => {
  it("delivers every accepted event after a restart, and repeats only deliveries that were in flight", async () => {
    dataDir = await temporaryDataDir();
    const deliveriesFile = join(dataDir, "deliveries.log");
    await writeFile(deliveriesFile, "");
    const events = Array.from({ length: EVENT_COUNT }, () =>
      busEvent({ source: "crash.test", "detail-type": "Burst" }),
    );

    const first = await startBusProcess(deliveriesFile, 1);
    const acknowledged = new Set<string>();
    const killed = once(first.child, "exit");
    let nextBatch = 0;
    const sendBatch = () => {
      if (nextBatch * BATCH_SIZE >= EVENT_COUNT) return;
      first.send({ type: "accept", events: events.slice(nextBatch * BATCH_SIZE, ++nextBatch * BATCH_SIZE) });
    };
    first.child.on("message", (message: ChildMessage) => {
      if (message.type !== "accepted" || first.child.killed) return;
      for (const id of message.ids) acknowledged.add(id);
      if (acknowledged.size >= KILL_AFTER_ACCEPTED) first.child.kill("SIGKILL");
      else sendBatch();
    });
    for (let batch = 0; batch < BATCHES_IN_FLIGHT; batch++) sendBatch();
    await killed;
    const owedAtKill = new Set(
      (await readJournalState(dataDir))
        .pendingDeliveries()
        .map(({ ruleName, eventId }) => `${ruleName} ${eventId}`),
    );

    const second = await startBusProcess(deliveriesFile, 2);
    const drained = second.nextMessage("drained");
    second.send({ type: "drain" });
    await drained;
    second.child.disconnect();
    await once(second.child, "exit");
    const deliveries = await readDeliveries(deliveriesFile);

    const deliveredBeforeKill = deliveries.filter(({ generation }) => generation === 1).map(({ key }) => key);
    const deliveredAfterRestart = deliveries
      .filter(({ generation }) => generation === 2)
      .map(({ key }) => key);
    const everDelivered = new Set(deliveries.map(({ key }) => key));
    const acknowledgedButUndelivered = [...acknowledged].flatMap((eventId) =>
      RULES.map((rule) => `${rule} ${eventId}`).filter((key) => !everDelivered.has(key)),
    );
    const redeliveredDespiteRecordedAck = deliveredAfterRestart.filter((key) => !owedAtKill.has(key));
    const deliveredBeforeKillKeys = new Set(deliveredBeforeKill);
    const repeatedInFlight = deliveredAfterRestart.filter((key) => deliveredBeforeKillKeys.has(key));

    expect(deliveredBeforeKill.length).toBeGreaterThan(0);
    expect(owedAtKill.size).toBeGreaterThan(0);
    expect(acknowledgedButUndelivered).toEqual([]);
    expect(redeliveredDespiteRecordedAck).toEqual([]);
    expect(repeatedInFlight.length).toBeLessThanOrEqual(MAX_CONCURRENT_DELIVERIES);
    expect(new Set(deliveredBeforeKill).size).toBe(deliveredBeforeKill.length);
    expect(new Set(deliveredAfterRestart).size).toBe(deliveredAfterRestart.length);
  });
});
