import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DashboardQuery } from "../../api/dashboard.ts";
import { documentClientOf, queryAll, whetherConditionHeld } from "../shared/dynamo.ts";
import type { Counter, Increment, Metric } from "./aggregates.ts";
import { config } from "./config.ts";
import { auditAggregatesTable } from "./tables.ts";

/**
 * A counter's item: `month` (YYYY-MM) and `counter` (`YYYY-MM-DD#metric#dimension`) as its key, its
 * `value`, and the ids of the events counted in it. The ids make each count idempotent on its own item,
 * with no transaction (which the local DynamoDB lacks): a delivery that died halfway is finished by the
 * next, which skips the counters done. They bound an item to some ten thousand events a day for one
 * status, far beyond the requests an approval flow sees.
 */
interface CounterItem {
  month: string;
  counter: string;
  value: number;
  events: Set<string>;
}

const COUNTER = auditAggregatesTable.sortKey.name;
const MONTH = auditAggregatesTable.partitionKey.name;

const counterKeyOf = ({ day, metric, dimension }: Omit<Increment, "by">) => ({
  [MONTH]: day.slice(0, 7),
  [COUNTER]: `${day}#${metric}#${dimension}`,
});

/** A counter of its sort key; dimensions may hold `#` (an email may), metrics and days never do. */
const counterOf = ({ counter, value }: Pick<CounterItem, "counter" | "value">): Counter => {
  const [day = "", metric = "", ...dimension] = counter.split("#");
  return { day, metric: metric as Metric, dimension: dimension.join("#"), value };
};

/** Every month (YYYY-MM) the range touches, oldest first. */
const monthsOf = ({ from, to }: DashboardQuery): string[] => {
  const months: string[] = [];
  for (let [year, month] = from.split("-").map(Number) as [number, number]; ; ) {
    const key = `${year}-${String(month).padStart(2, "0")}`;
    if (key > to.slice(0, 7)) return months;
    months.push(key);
    [year, month] = month === 12 ? [year + 1, 1] : [year, month + 1];
  }
};

export const createAggregatesStore = (document: DynamoDBDocumentClient, tableName: string) => {
  /**
   * Adds the event's increments to their counters, each unless it counted the event already; resolves
   * how many it added to now (none for a repeat that found every one done).
   */
  const count = async (eventId: string, increments: Increment[]): Promise<number> => {
    const added = await Promise.all(
      increments.map(({ by, ...counter }) =>
        whetherConditionHeld(
          document.send(
            new UpdateCommand({
              TableName: tableName,
              Key: counterKeyOf(counter),
              UpdateExpression: "ADD #value :by, #events :event",
              ConditionExpression: "attribute_not_exists(#events) OR NOT contains(#events, :eventId)",
              ExpressionAttributeNames: { "#value": "value", "#events": "events" },
              ExpressionAttributeValues: { ":by": by, ":event": new Set([eventId]), ":eventId": eventId },
            }),
          ),
        ),
      ),
    );
    return added.filter(Boolean).length;
  };

  /** Every counter of the range's days: one Query a month, without the events' ids. */
  const read = async (range: DashboardQuery): Promise<Counter[]> => {
    const months = await Promise.all(
      monthsOf(range).map((month) =>
        queryAll<Pick<CounterItem, "counter" | "value">>(document, {
          TableName: tableName,
          KeyConditionExpression: "#month = :month AND #counter BETWEEN :from AND :to",
          ExpressionAttributeNames: { "#month": MONTH, "#counter": COUNTER, "#value": "value" },
          // "~" sorts after every metric's first letter: the last day's counters are all in.
          ExpressionAttributeValues: { ":month": month, ":from": range.from, ":to": `${range.to}#~` },
          ProjectionExpression: "#counter, #value",
        }),
      ),
    );
    return months.flat().map(counterOf);
  };

  return { count, read };
};

export type AggregatesStore = ReturnType<typeof createAggregatesStore>;

export const aggregatesStore = createAggregatesStore(
  documentClientOf(),
  config[auditAggregatesTable.tableNameEnv],
);
