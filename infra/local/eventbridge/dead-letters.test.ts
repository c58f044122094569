import { rm } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { busEvent, silentLogger, temporaryDataDir } from "../../../test/support/bus.ts";
import { type RunningEdge, startEdge } from "../edge/server.ts";
import { LocalEventBus } from "./bus.ts";
import {
  DeadLetterRequestError,
  DeadLetterUsageError,
  deadLetterRoutes,
  REDRIVE_PATH,
  RuntimeUnreachableError,
  runDeadLetterCommand,
} from "./dead-letters.ts";
import type { BusEvent } from "./types.ts";

let dataDir: string;
let bus: LocalEventBus;
let edge: RunningEdge;
let targetHealthy: boolean;
const delivered: BusEvent[] = [];

beforeEach(async () => {
  dataDir = await temporaryDataDir();
  targetHealthy = false;
  delivered.length = 0;
  bus = new LocalEventBus({
    dataDir,
    maxAttempts: 1,
    logger: silentLogger,
    rules: [
      {
        name: "audit-recorder",
        eventBusName: "approvals",
        pattern: { source: ["app"] },
        target: async (event) => {
          if (!targetHealthy) throw new RangeError("table is missing");
          delivered.push(event);
        },
      },
    ],
  });
  await bus.start();
  edge = await startEdge({ port: 0, services: {}, localRoutes: deadLetterRoutes(bus) });
});

afterEach(async () => {
  await edge.close();
  await bus.close();
  await rm(dataDir, { recursive: true, force: true });
});

const deadLetterAnEvent = async () => {
  const event = busEvent({ source: "app", "detail-type": "RequestAccepted" });
  await bus.accept([{ eventBusName: "approvals", event }]);
  await bus.drained();
  return event;
};

describe("the dlq command against the running edge", () => {
  it("lists dead letters as a table naming the rule, the event and the last error", async () => {
    const event = await deadLetterAnEvent();
    const [deadLetter] = bus.listDeadLetters();

    const output = await runDeadLetterCommand(["list"], edge.url);

    const [header, , row] = output.split("\n");
    expect(header?.split(/\s{2,}/)).toEqual([
      "ID",
      "DEAD-LETTERED AT",
      "BUS",
      "RULE",
      "DETAIL-TYPE",
      "EVENT ID",
      "ATTEMPTS",
      "ERROR",
    ]);
    expect(row?.split(/\s{2,}/)).toEqual([
      deadLetter?.id,
      deadLetter?.deadLetteredAt,
      "approvals",
      "audit-recorder",
      "RequestAccepted",
      event.id,
      "1",
      "RangeError: table is missing",
    ]);
  });

  it("redrives the named dead letters, which are then delivered and leave the store", async () => {
    const event = await deadLetterAnEvent();
    const [deadLetter] = bus.listDeadLetters();
    targetHealthy = true;

    const output = await runDeadLetterCommand(["redrive", deadLetter?.id ?? ""], edge.url);
    await bus.drained();

    expect(output).toContain("Redriven 1 dead letter(s)");
    expect(delivered).toEqual([event]);
    expect(await runDeadLetterCommand(["list"], edge.url)).toBe("No dead letters.");
  });

  it("redrives every dead letter when no id is given", async () => {
    const events = [await deadLetterAnEvent(), await deadLetterAnEvent()];
    targetHealthy = true;

    await runDeadLetterCommand(["redrive"], edge.url);
    await bus.drained();

    expect(delivered.map((event) => event.id).sort()).toEqual(events.map((event) => event.id).sort());
  });

  it("reports unknown ids and bad bodies without changing the store", async () => {
    await deadLetterAnEvent();

    const unknown = await runDeadLetterCommand(["redrive", "no-such-id"], edge.url).catch(
      (error: unknown) => error,
    );
    const badBody = await fetch(new URL(REDRIVE_PATH, edge.url), { method: "POST", body: '{"ids": "x"}' });

    expect(unknown).toBeInstanceOf(DeadLetterRequestError);
    expect(String(unknown)).toMatch(/404.*no-such-id/);
    expect(badBody.status).toBe(400);
    expect(bus.listDeadLetters()).toHaveLength(1);
  });

  it("says how to start the runtime when nothing answers, and how to call it when misused", async () => {
    await edge.close();

    await expect(runDeadLetterCommand(["list"], edge.url)).rejects.toThrow(RuntimeUnreachableError);
    await expect(runDeadLetterCommand(["list"], edge.url)).rejects.toThrow(/npm start/);
    await expect(runDeadLetterCommand(["purge"], edge.url)).rejects.toThrow(DeadLetterUsageError);
  });
});
