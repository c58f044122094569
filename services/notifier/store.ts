import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createIdempotency, type Idempotency } from "../shared/idempotency.ts";
import { traced } from "../shared/observability.ts";
import { idempotencyTableName } from "./config.ts";

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
});

export type NotificationStore = ReturnType<typeof createNotificationStore>;

export const notifierIdempotency = createIdempotency({
  client: traced(new DynamoDBClient({})),
  tableName: idempotencyTableName,
  service: "notifier",
});

export const notificationStore = createNotificationStore(notifierIdempotency);
