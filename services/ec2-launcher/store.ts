import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { AcceptedRequest } from "../../events/request.ts";
import { documentClientOf } from "../shared/dynamo.ts";
import { publishOnce } from "../shared/once.ts";
import { launchesTableName } from "./config.ts";
import { LAUNCHES_BY_INSTANCE_INDEX } from "./tables.ts";

/**
 * The events the launcher publishes once per request: `started` is ProvisioningStarted, `outcome` is
 * whichever of ResourceProvisioned and ProvisioningFailed comes first.
 */
export type LaunchEffect = "started" | "outcome";

export interface LaunchRecord {
  requestId: string;
  request: AcceptedRequest;
  approver: string;
  instanceId?: string;
  startedDoneAt?: string;
  outcomeDoneAt?: string;
}

export const createLaunchStore = (document: DynamoDBDocumentClient, tableName: string) => ({
  /** Records the approved request (the first approval seen sticks) and answers the launch as it stands. */
  recordApproval: async ({
    requestId,
    request,
    approver,
  }: Pick<LaunchRecord, "requestId" | "request" | "approver">): Promise<LaunchRecord> => {
    const { Attributes } = await document.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { requestId },
        UpdateExpression:
          "SET #request = if_not_exists(#request, :request), approver = if_not_exists(approver, :approver)",
        // `request` is one of DynamoDB's reserved words.
        ExpressionAttributeNames: { "#request": "request" },
        ExpressionAttributeValues: { ":request": request, ":approver": approver },
        ReturnValues: "ALL_NEW",
      }),
    );
    return Attributes as LaunchRecord;
  },

  attachInstance: async (requestId: string, instanceId: string): Promise<void> => {
    await document.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { requestId },
        UpdateExpression: "SET instanceId = :instanceId",
        ConditionExpression: "attribute_exists(requestId)",
        ExpressionAttributeValues: { ":instanceId": instanceId },
      }),
    );
  },

  get: async (requestId: string): Promise<LaunchRecord | undefined> => {
    const { Item } = await document.send(
      new GetCommand({ TableName: tableName, Key: { requestId }, ConsistentRead: true }),
    );
    return Item as LaunchRecord | undefined;
  },

  /** The launch of this instance, as the index has it (an index read may lag a just-written launch). */
  findByInstanceId: async (instanceId: string): Promise<LaunchRecord | undefined> => {
    const { Items } = await document.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: LAUNCHES_BY_INSTANCE_INDEX.indexName,
        KeyConditionExpression: "instanceId = :instanceId",
        ExpressionAttributeValues: { ":instanceId": instanceId },
      }),
    );
    return Items?.[0] as LaunchRecord | undefined;
  },

  /** Publishes one of the launch's events once, however often and concurrently it is attempted. */
  publishOnce: (requestId: string, effect: LaunchEffect, now: () => Date, publish: () => Promise<string[]>) =>
    publishOnce({ document, tableName, key: { requestId }, effect, now, publish }),
});

export type LaunchStore = ReturnType<typeof createLaunchStore>;

export const launchStore = createLaunchStore(documentClientOf(), launchesTableName);
