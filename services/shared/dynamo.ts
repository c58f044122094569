import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, paginateQuery, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";

/** The document client of every store: optional fields left undefined are dropped, not refused. */
export const documentClientOf = (client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient =>
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
