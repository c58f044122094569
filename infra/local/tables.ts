import {
  type AttributeDefinition,
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import type { KeySpec, TableSpec } from "../../services/shared/table-spec.ts";

const keySchemaOf = (partitionKey: KeySpec, sortKey?: KeySpec) => [
  { AttributeName: partitionKey.name, KeyType: "HASH" as const },
  ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: "RANGE" as const }] : []),
];

const attributeDefinitionsOf = (spec: TableSpec): AttributeDefinition[] => {
  const keys = [
    spec.partitionKey,
    spec.sortKey,
    ...(spec.globalIndexes ?? []).flatMap((index) => [index.partitionKey, index.sortKey]),
  ].filter((key): key is KeySpec => key !== undefined);
  const byName = new Map(keys.map((key) => [key.name, key.type]));
  return [...byName].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
};

/** Creates each table of the specs (named by its id) unless it exists already, then waits until active. */
export const ensureTables = async (client: DynamoDBClient, specs: readonly TableSpec[]): Promise<void> => {
  for (const spec of specs) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: spec.id,
          BillingMode: "PAY_PER_REQUEST",
          KeySchema: keySchemaOf(spec.partitionKey, spec.sortKey),
          AttributeDefinitions: attributeDefinitionsOf(spec),
          GlobalSecondaryIndexes: spec.globalIndexes?.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchemaOf(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: "ALL" },
          })),
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: spec.id });
    if (spec.timeToLiveAttribute) {
      await client
        .send(
          new UpdateTimeToLiveCommand({
            TableName: spec.id,
            TimeToLiveSpecification: { AttributeName: spec.timeToLiveAttribute, Enabled: true },
          }),
        )
        // dynalite has no TTL API; expiry is checked in conditions anyway, TTL is only housekeeping.
        .catch(() => undefined);
    }
  }
};

/** The environment variables that tell each service the physical name of its tables. */
export const tableNameEnvironment = (specs: readonly TableSpec[]): Record<string, string> =>
  Object.fromEntries(specs.map((spec) => [spec.tableNameEnv, spec.id]));
