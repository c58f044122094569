import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { queryAll, unlessConditionFails, whetherConditionHeld } from "./dynamo.ts";

const TABLE = "items";

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startTestDynamo([
    {
      id: TABLE,
      tableNameEnv: "ITEMS_TABLE",
      partitionKey: { name: "group", type: "S" },
      sortKey: { name: "position", type: "N" },
    },
  ]);
});
afterAll(() => dynamo.close());

const putIfAbsent = (group: string, position: number) =>
  dynamo.document.send(
    new PutCommand({
      TableName: TABLE,
      Item: { group, position },
      ConditionExpression: "attribute_not_exists(#group)",
      ExpressionAttributeNames: { "#group": "group" },
    }),
  );

describe("conditional writes", () => {
  it("tell whether their condition held", async () => {
    expect(await whetherConditionHeld(putIfAbsent("once", 1))).toBe(true);
    expect(await whetherConditionHeld(putIfAbsent("once", 1))).toBe(false);
    expect(await unlessConditionFails(putIfAbsent("once", 1))).toBeUndefined();
  });

  it("throw any failure other than the condition", async () => {
    const write = dynamo.document.send(new PutCommand({ TableName: "no-such-table", Item: { group: "x" } }));

    await expect(whetherConditionHeld(write)).rejects.toThrow(/non-existent table|not found/i);
  });
});

describe("queryAll", () => {
  it("returns the items of every page, in order", async () => {
    for (const position of [1, 2, 3, 4, 5]) await putIfAbsent("paged", position);

    const items = await queryAll<{ position: number }>(dynamo.document, {
      TableName: TABLE,
      KeyConditionExpression: "#group = :group",
      ExpressionAttributeNames: { "#group": "group" },
      ExpressionAttributeValues: { ":group": "paged" },
      Limit: 2,
    });

    expect(items.map((item) => item.position)).toEqual([1, 2, 3, 4, 5]);
  });
});
