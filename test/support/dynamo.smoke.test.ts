import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestDynamo, type TestDynamo } from "./dynamo.ts";

describe("test dynalite with tables from a spec", () => {
  let dynamo: TestDynamo;
  beforeAll(async () => {
    dynamo = await startTestDynamo([
      {
        id: "things",
        tableNameEnv: "THINGS_TABLE",
        partitionKey: { name: "pk", type: "S" },
        timeToLiveAttribute: "ttl",
      },
    ]);
  });
  afterAll(() => dynamo.close());

  it("creates the table so items can be written and read back", async () => {
    await dynamo.document.send(new PutCommand({ TableName: "things", Item: { pk: "a", value: 1 } }));
    const read = await dynamo.document.send(new GetCommand({ TableName: "things", Key: { pk: "a" } }));
    expect(read.Item).toEqual({ pk: "a", value: 1 });
  });
});
