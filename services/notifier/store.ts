import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { documentClientOf } from "../shared/dynamo.ts";
import { createIdempotency, type Idempotency } from "../shared/idempotency.ts";
import { traced } from "../shared/observability.ts";
import { idempotencyTableName, suppressionsTableName } from "./config.ts";
import type { Suppression, SuppressionReason } from "./domain.ts";
import { suppressionsTable } from "./tables.ts";

export type SentEmail = { messageId: string; sentAt: string };

/**
 * The two effects of each event (keyed by its id), each run once: the email, then the RequesterNotified
 * that reports it; and, for an event the operators hear of too, each operator's email (keyed by the
 * event's id and their address). An email is claimed before sending and recorded after, so the only way
 * to a second email is a crash (or a timeout) after SES accepted it and before its record: the claim
 * then lasts until that invocation's deadline, and a later delivery sends again. We chose that rare
 * duplicate over its alternative, marking before sending, where the same crash loses the email.
 */
export const createNotificationStore = (idempotency: Idempotency) => ({
  emailOnce: (eventId: string, send: () => Promise<SentEmail>) =>
    idempotency.runOnce({ name: "email", key: eventId }, send),

  operatorEmailOnce: (eventId: string, operator: string, send: () => Promise<SentEmail>) =>
    idempotency.runOnce({ name: "operator-email", key: `${eventId}/${operator}` }, send),

  announceOnce: (eventId: string, publish: () => Promise<string[]>) =>
    idempotency.runOnce({ name: "announcement", key: eventId }, publish),

  /** The report of an email not sent to a suppressed recipient (counted and published once). */
  suppressionOnce: (eventId: string, recipient: string, report: () => Promise<string[]>) =>
    idempotency.runOnce({ name: "suppression", key: `${eventId}/${recipient}` }, report),
});

export type NotificationStore = ReturnType<typeof createNotificationStore>;

export const notifierIdempotency = createIdempotency({
  client: traced(new DynamoDBClient({})),
  tableName: idempotencyTableName,
  service: "notifier",
});

export const notificationStore = createNotificationStore(notifierIdempotency);

/**
 * The suppressed addresses, by canonical address. A later report replaces an earlier one (a complaint
 * after a bounce, or SES's redelivery of the same): the address stays suppressed either way.
 */
export const createSuppressionStore = (document: DynamoDBDocumentClient, tableName: string) => ({
  suppress: async (suppression: Suppression): Promise<void> => {
    await document.send(new PutCommand({ TableName: tableName, Item: suppression }));
  },
  reasonFor: async (email: string): Promise<SuppressionReason | undefined> => {
    const { Item } = await document.send(
      new GetCommand({
        TableName: tableName,
        Key: { [suppressionsTable.partitionKey.name]: email },
        ConsistentRead: true,
      }),
    );
    return (Item as Suppression | undefined)?.reason;
  },
});

export type SuppressionStore = ReturnType<typeof createSuppressionStore>;

export const suppressionStore: SuppressionStore = createSuppressionStore(
  documentClientOf(),
  suppressionsTableName,
);
