import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineEvent, type EventContract } from "../events/contract.ts";
import { producedBy } from "../events/patterns.ts";
import {
  EVENTS_TABLE_END,
  EVENTS_TABLE_START,
  EventsTableError,
  eventsTable,
  eventsTableIn,
  publishersFromManifests,
  type SubscribingService,
  withEventsTable,
} from "./events-table.ts";

const OrderPlaced = defineEvent({
  source: "approvals.shop",
  openToAnySource: true,
  detailType: "OrderPlaced",
  description: "Someone orders.",
  schema: z.object({}),
});
const OrderShipped = defineEvent({
  source: "approvals.warehouse",
  otherProducers: ["approvals.shop"],
  detailType: "OrderShipped",
  description: "The parcel | left.",
  schema: z.object({}),
});
const BucketCreated = defineEvent({
  source: "aws.s3",
  detailType: "Bucket Created",
  description: "S3 made a bucket.",
  schema: z.object({}),
});
const catalog = [OrderPlaced, OrderShipped, BucketCreated];

const service = (name: string, ...patterns: Record<string, unknown>[]): SubscribingService => ({
  name,
  subscriptions: patterns.map((pattern, index) => ({ name: `${name}-${index}`, pattern })),
});

/** The publishers as the manifests declare them, whoever subscribes in a test. */
const publishersOf = publishersFromManifests([
  { name: "shop", publishes: [{ contract: OrderPlaced }, { contract: OrderShipped }] },
  { name: "warehouse", publishes: [{ contract: OrderShipped }] },
]);

const tableOf = (services: SubscribingService[], contracts: EventContract[] = catalog) =>
  eventsTable({ catalog: contracts, services, publishersOf });

/** The cells of the row of one detail-type: published by, consumed by, what it says. */
const rowOf = (table: string, detailType: string) => {
  const row = table.split("\n").find((line) => line.startsWith(`| \`${detailType}\` |`));
  if (!row) throw new Error(`no row for ${detailType} in:\n${table}`);
  const [, publishers, consumers, description] = row
    .slice(2, -2)
    .split(/ (?<!\\)\| /)
    .map((cell) => cell.trim());
  return { publishers, consumers, description };
};

describe("the events table", () => {
  const shop = service("shop", producedBy(OrderShipped));
  const warehouse = service("warehouse", producedBy(OrderPlaced));
  const archive = service("archive", producedBy(OrderPlaced, OrderShipped, BucketCreated));
  const table = tableOf([shop, warehouse, archive]);

  it("has one row per catalog event, in catalog order", () => {
    const detailTypes = table
      .split("\n")
      .slice(2)
      .map((row) => /^\| `([^`]+)`/.exec(row)?.[1]);

    expect(detailTypes).toEqual(["OrderPlaced", "OrderShipped", "Bucket Created"]);
  });

  it("names as publishers the services whose manifests declare the event, and the outside ones by what they are", () => {
    expect(rowOf(table, "OrderPlaced").publishers).toBe(
      "shop; any outside system, under a source of its own",
    );
    expect(rowOf(table, "OrderShipped").publishers).toBe("shop; warehouse");
    expect(rowOf(table, "Bucket Created").publishers).toBe("AWS (`aws.s3`, on the `default` bus)");
  });

  it("names as consumers the services whose patterns take the event, through $or alternatives too", () => {
    expect(rowOf(table, "OrderPlaced").consumers).toBe("warehouse; archive");
    expect(rowOf(table, "OrderShipped").consumers).toBe("shop; archive");
    expect(rowOf(table, "Bucket Created").consumers).toBe("archive");
  });

  it("does not count a subscription that takes the detail-type only from some other source", () => {
    const impostorOnly = service("auditor", {
      source: ["approvals.auditor"],
      "detail-type": ["OrderShipped"],
    });

    expect(rowOf(tableOf([impostorOnly]), "OrderShipped").consumers).toBe("nobody");
  });

  it("ignores subscriptions without a pattern, such as schedules", () => {
    const scheduled: SubscribingService = {
      name: "sweeper",
      subscriptions: [{ name: "sweeper-every-minute" }],
    };

    expect(rowOf(tableOf([scheduled]), "OrderPlaced").consumers).toBe("nobody");
  });

  it("shows the content a consumer routes on", () => {
    const picky = service("picky", {
      ...producedBy(OrderShipped),
      detail: { parcel: { size: ["small", "large"] }, express: [true] },
    });

    expect(rowOf(tableOf([picky]), "OrderShipped").consumers).toBe(
      "picky, when `parcel.size` is small or large and `express` is true",
    );
  });

  it("keeps each description in its cell, a pipe in it escaped", () => {
    expect(rowOf(table, "OrderShipped").description).toBe("The parcel \\| left.");
  });

  it("refuses a pattern naming an event the catalog does not hold", () => {
    const stale = service("stale", { "detail-type": ["OrderCancelled"] });

    expect(() => tableOf([stale])).toThrow(
      new EventsTableError("stale-0: OrderCancelled is not an event of the catalog"),
    );
  });

  it("refuses a pattern whose detail-types it cannot list", () => {
    const prefixed = service("prefixed", { "detail-type": [{ prefix: "Order" }] });

    expect(() => tableOf([prefixed])).toThrow(EventsTableError);
  });

  it("refuses an event nobody publishes", () => {
    const orphan = defineEvent({
      source: "approvals.gone",
      detailType: "Orphaned",
      description: "No service publishes it.",
      schema: z.object({}),
    });

    expect(() => tableOf([], [orphan])).toThrow(new EventsTableError("Nobody publishes Orphaned"));
  });
});

describe("the events table's place in a document", () => {
  const document = ["# Title", "before", EVENTS_TABLE_START, "old table", EVENTS_TABLE_END, "after", ""].join(
    "\n",
  );

  it("is rewritten between its markers, everything else kept as it was", () => {
    const rewritten = withEventsTable(document, "| new |");

    expect(rewritten).toBe(
      ["# Title", "before", EVENTS_TABLE_START, "| new |", EVENTS_TABLE_END, "after", ""].join("\n"),
    );
    expect(eventsTableIn(rewritten)).toBe("| new |");
  });

  it("cannot be found in a document without both markers in order", () => {
    const reversed = [EVENTS_TABLE_END, "table", EVENTS_TABLE_START].join("\n");

    expect(() => eventsTableIn(reversed)).toThrow(EventsTableError);
    expect(() => withEventsTable("# no markers", "| new |")).toThrow(EventsTableError);
  });
});
