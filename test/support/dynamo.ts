import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";
import { ensureTables } from "../../infra/local/tables.ts";
import { documentClientOf } from "../../services/shared/dynamo.ts";
import type { TableSpec } from "../../services/shared/table-spec.ts";

export interface TestDynamo {
  client: DynamoDBClient;
  document: DynamoDBDocumentClient;
  endpoint: string;
  close(): Promise<void>;
}

/** An in-memory dynalite with the given tables, for store tests with real DynamoDB semantics. */
export const startTestDynamo = async (specs: readonly TableSpec[]): Promise<TestDynamo> => {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  await ensureTables(client, specs);
  return {
    client,
    document: documentClientOf(client),
    endpoint,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
