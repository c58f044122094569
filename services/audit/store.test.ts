import "../../test/support/service-environment.ts";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RawEnvelope } from "../../events/index.ts";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { sampleRequest } from "../../test/support/fixtures.ts";
import { auditRecordOf, projectView } from "./domain.ts";
import type { AuditStore } from "./store.ts";
import { auditTimelineTable, tables } from "./tables.ts";
import { provisionedFlow } from "./testing/flows.ts";
import { testAuditStore } from "./testing/store.ts";

const START = "2025-06-01T08:00:00Z";

let dynamo: TestDynamo;
let store: AuditStore;
beforeAll(async () => {
  dynamo = await startTestDynamo(tables);
  store = testAuditStore(dynamo);
});
afterAll(() => dynamo.close());

/** A request's first events as audit records them. */
const recordsOf = (requestId: string) =>
  provisionedFlow(sampleRequest({ requestId }), START)
    .slice(0, 3)
    .map((envelope: RawEnvelope) => auditRecordOf(envelope));

describe("moving an entry to another timeline", () => {
  it("shows it on the new timeline only, and counts the move in the old timeline's version", async () => {
    const [requested, accepted] = recordsOf("req-move-from");
    for (const record of [requested, accepted]) if (record) await store.appendToTimeline(record);

    const moved = await store.moveEntry({
      from: "req-move-from",
      eventId: "req-move-from-0",
      to: "refused-move",
    });

    expect(moved).toBe(true);
    const from = await store.readTimeline("req-move-from");
    expect(from.entries.map((entry) => entry.eventId)).toEqual(["req-move-from-1"]);
    expect(from.version).toBe(3);
    expect(await store.readTimeline("refused-move")).toEqual({ entries: [requested?.entry], version: 1 });
  });

  it("changes nothing more when repeated, and still says the entry was found, so its timeline is projected again", async () => {
    const [requested] = recordsOf("req-move-twice");
    if (requested) await store.appendToTimeline(requested);

    await store.moveEntry({ from: "req-move-twice", eventId: "req-move-twice-0", to: "refused-twice" });
    const again = await store.moveEntry({
      from: "req-move-twice",
      eventId: "req-move-twice-0",
      to: "refused-twice",
    });

    expect(again).toBe(true);
    expect(await store.readTimeline("req-move-twice")).toEqual({ entries: [], version: 2 });
    expect(await store.readTimeline("refused-twice")).toEqual({ entries: [requested?.entry], version: 1 });
  });

  it("finds nothing to move for an event the timeline never had, and never moves an entry onto its own timeline", async () => {
    const [requested] = recordsOf("req-move-self");
    if (requested) await store.appendToTimeline(requested);

    expect(await store.moveEntry({ from: "req-move-self", eventId: "no-such-event", to: "refused-x" })).toBe(
      false,
    );
    expect(
      await store.moveEntry({ from: "req-move-self", eventId: "req-move-self-0", to: "req-move-self" }),
    ).toBe(false);

    expect(await store.readTimeline("req-move-self")).toEqual({ entries: [requested?.entry], version: 1 });
    expect(await store.holdsTimeline("refused-x")).toBe(false);
  });
});

describe("whether an id holds a timeline", () => {
  it("is true once anything was appended under it", async () => {
    const [requested] = recordsOf("req-holds");

    expect(await store.holdsTimeline("req-holds")).toBe(false);
    if (requested) await store.appendToTimeline(requested);
    expect(await store.holdsTimeline("req-holds")).toBe(true);
  });
});

describe("the timeline's entries", () => {
  it("keep the account of the publisher, and read entries recorded before it was kept without one", async () => {
    const [requested] = recordsOf("req-accounts");
    if (requested) await store.appendToTimeline(requested);
    await dynamo.document.send(
      new PutCommand({
        TableName: auditTimelineTable.id,
        Item: {
          requestId: "req-accounts",
          eventId: "older",
          type: "RequestAccepted",
          time: "2025-06-01T08:00:05.000Z",
          source: "approvals.intake",
          detailJson: "{}",
        },
      }),
    );

    const { entries } = await store.readTimeline("req-accounts");

    expect(entries[0]?.account).toBe("000000000000");
    expect(entries[1]).toEqual({
      eventId: "older",
      type: "RequestAccepted",
      time: "2025-06-01T08:00:05.000Z",
      source: "approvals.intake",
      detail: {},
    });
  });
});

describe("a vacated view", () => {
  it("reads as no view and lists nowhere, and only a view of a later version replaces it", async () => {
    const entries = recordsOf("req-vacated").map((record) => record.entry);
    const view = projectView("req-vacated", entries.slice(0, 1));

    expect(await store.saveView(view, 1)).toBe(true);
    expect(await store.vacateView("req-vacated", 2)).toBe(true);

    expect(await store.getView("req-vacated")).toBeUndefined();
    expect((await store.listViews({ limit: 100 }, { kind: "everything" })).items).toEqual([]);
    expect(await store.saveView(view, 2)).toBe(false);
    expect(await store.getView("req-vacated")).toBeUndefined();

    const later = projectView("req-vacated", entries);
    expect(await store.saveView(later, 3)).toBe(true);
    expect(await store.getView("req-vacated")).toEqual(later);
  });
});
