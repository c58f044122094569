import { rm } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { busEvent, silentLogger, temporaryDataDir } from "../../../test/support/bus.ts";
import { TEST_SERVICES_PRINCIPAL } from "../../../test/support/local-events.ts";
import { OUTSIDE_PRINCIPAL } from "../edge/principals.ts";
import { type RunningEdge, startEdge } from "../edge/server.ts";
import { signedFetch } from "../edge/signature.ts";
import { LocalEventBus } from "./bus.ts";
import {
  DEAD_LETTERS_PATH,
  DEAD_LETTERS_SCOPE,
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
  edge = await startEdge({
    port: 0,
    services: {},
    principals: [TEST_SERVICES_PRINCIPAL, OUTSIDE_PRINCIPAL],
    localRoutes: deadLetterRoutes(bus, [TEST_SERVICES_PRINCIPAL]),
  });
});

afterEach(async () => {
  await edge.close();
  await bus.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** The running edge, as the operator reaches it: with the stack's credentials. */
const runtime = () => ({ edgeUrl: edge.url, operator: TEST_SERVICES_PRINCIPAL });

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

    const output = await runDeadLetterCommand(["list"], runtime());

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

    const output = await runDeadLetterCommand(["redrive", deadLetter?.id ?? ""], runtime());
    await bus.drained();

    expect(output).toContain("Redriven 1 dead letter(s)");
    expect(delivered).toEqual([event]);
    expect(await runDeadLetterCommand(["list"], runtime())).toBe("No dead letters.");
  });

  it("redrives every dead letter when no id is given", async () => {
    const events = [await deadLetterAnEvent(), await deadLetterAnEvent()];
    targetHealthy = true;

    await runDeadLetterCommand(["redrive"], runtime());
    await bus.drained();

    expect(delivered.map((event) => event.id).sort()).toEqual(events.map((event) => event.id).sort());
  });

  it("reports unknown ids and bad bodies without changing the store", async () => {
    await deadLetterAnEvent();

    const unknown = await runDeadLetterCommand(["redrive", "no-such-id"], runtime()).catch(
      (error: unknown) => error,
    );
    const badBody = await signedFetch(
      TEST_SERVICES_PRINCIPAL,
      new URL(REDRIVE_PATH, edge.url),
      { method: "POST", body: '{"ids": "x"}' },
      DEAD_LETTERS_SCOPE,
    );

    expect(unknown).toBeInstanceOf(DeadLetterRequestError);
    expect(String(unknown)).toMatch(/404.*no-such-id/);
    expect(badBody.status).toBe(400);
    expect(bus.listDeadLetters()).toHaveLength(1);
  });

  it("says how to start the runtime when nothing answers, and how to call it when misused", async () => {
    await edge.close();

    await expect(runDeadLetterCommand(["list"], runtime())).rejects.toThrow(RuntimeUnreachableError);
    await expect(runDeadLetterCommand(["list"], runtime())).rejects.toThrow(/npm start/);
    await expect(runDeadLetterCommand(["purge"], runtime())).rejects.toThrow(DeadLetterUsageError);
  });

  it("serves only the operator: unsigned requests and outside principals are refused, the store unchanged", async () => {
    await deadLetterAnEvent();

    const unsigned = await fetch(new URL(REDRIVE_PATH, edge.url), { method: "POST", body: "{}" });
    const outside = await signedFetch(
      OUTSIDE_PRINCIPAL,
      new URL(DEAD_LETTERS_PATH, edge.url),
      { method: "GET" },
      DEAD_LETTERS_SCOPE,
    );
    const forged = await signedFetch(
      { ...TEST_SERVICES_PRINCIPAL, secretAccessKey: "guessed" },
      new URL(REDRIVE_PATH, edge.url),
      { method: "POST", body: "{}" },
      DEAD_LETTERS_SCOPE,
    );

    expect([unsigned.status, outside.status, forged.status]).toEqual([403, 403, 403]);
    expect(((await outside.json()) as { message: string }).message).toContain("service-credentials.json");
    expect(bus.listDeadLetters()).toHaveLength(1);
  });
});
