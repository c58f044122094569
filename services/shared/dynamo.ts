import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { traced } from "./observability.ts";

/** The document client of every store: optional fields left undefined are dropped, not refused. */
export const documentClientOf = (
  client: DynamoDBClient = traced(new DynamoDBClient({})),
): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

/** Runs a conditional write; undefined when its condition did not hold, any other failure thrown. */
export const unlessConditionFails = async <T>(write: Promise<T>): Promise<T | undefined> => {
  try {
    return await write;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
};

/** Runs a conditional write; resolves whether its condition held, any other failure thrown. */
export const whetherConditionHeld = async (write: Promise<unknown>): Promise<boolean> =>
  (await unlessConditionFails(write.then(() => true))) ?? false;

/**
 * The reads and writes every store of a table keyed by `requestId` makes: a consistent read of one
 * request's item, its creation unless it exists (false when an earlier writer created it), and updates.
 */
export const requestTable = <Item extends { requestId: string }>(
  document: DynamoDBDocumentClient,
  tableName: string,
) => ({
  get: async (requestId: string): Promise<Item | undefined> =>
    (await document.send(new GetCommand({ TableName: tableName, Key: { requestId }, ConsistentRead: true })))
      .Item as Item | undefined,
  createIfAbsent: (item: Item): Promise<boolean> =>
    whetherConditionHeld(
      document.send(
        new PutCommand({
          TableName: tableName,
          Item: item,
          ConditionExpression: "attribute_not_exists(requestId)",
        }),
      ),
    ),
  update: (input: Omit<UpdateCommandInput, "TableName">) =>
    document.send(new UpdateCommand({ TableName: tableName, ...input })),
});

/** Every item a query finds, over all its pages, as the caller's item type (the table's layout is theirs). */
export const queryAll = async <Item>(
  document: DynamoDBDocumentClient,
  input: QueryCommandInput,
): Promise<Item[]> => {
  const items: Item[] = [];
  for await (const page of paginateQuery({ client: document }, input)) {
    items.push(...((page.Items ?? []) as Item[]));
  }
  return items;
};
