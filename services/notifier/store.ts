import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { documentClientOf } from "../shared/dynamo.ts";
import { publishOnce, runOnce } from "../shared/once.ts";
import { notificationsTableName } from "./config.ts";

export type SentEmail = { messageId: string; sentAt: string };

/**
 * The notification record of each event (keyed by its id) holds two effects, each run once: the email,
 * then the RequesterNotified that reports it. The record is claimed before sending and completed after,
 * so the only way to a second email is a crash after SES accepted it and before the record was
 * completed; a later delivery then sends again once the claim's lease is up. We chose that rare
 * duplicate over its alternative, marking before sending, where the same crash loses the email.
 */
export const createNotificationStore = (document: DynamoDBDocumentClient, tableName: string) => ({
  emailOnce: (eventId: string, now: () => Date, send: () => Promise<SentEmail>) =>
    runOnce({ document, tableName, key: { eventId }, effect: "email", now, run: send }),

  announceOnce: (eventId: string, now: () => Date, publish: () => Promise<string[]>) =>
    publishOnce({ document, tableName, key: { eventId }, effect: "announcement", now, publish }),
});

export type NotificationStore = ReturnType<typeof createNotificationStore>;

export const notificationStore = createNotificationStore(documentClientOf(), notificationsTableName);
