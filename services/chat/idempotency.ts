import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createIdempotency } from "../shared/idempotency.ts";
import { traced } from "../shared/observability.ts";
import { idempotencyTableName } from "./config.ts";

/** One DynamoDB client per module, for chat's idempotency records and its messages' store alike. */
export const chatDynamoDbClient = traced(new DynamoDBClient({}));

/** Chat's effects, once per event and recipient however often the event is delivered. */
export const chatIdempotency = createIdempotency({
  client: chatDynamoDbClient,
  tableName: idempotencyTableName,
  service: "chat",
});
