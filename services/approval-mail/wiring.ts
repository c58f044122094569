import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { documentClientOf } from "../shared/dynamo.ts";
import { createIdempotency } from "../shared/idempotency.ts";
import { traced } from "../shared/observability.ts";
import { idempotencyTableName, mailingsTableName } from "./config.ts";
import { createMailingStore } from "./store.ts";

/** The store both wired handlers use, over one client per module. */
const dynamoDbClient = traced(new DynamoDBClient({}));

export const approvalMailIdempotency = createIdempotency({
  client: dynamoDbClient,
  tableName: idempotencyTableName,
  service: "approval-mail",
});

export const mailingStore = createMailingStore(
  mailingsTableName,
  documentClientOf(dynamoDbClient),
  approvalMailIdempotency,
);
