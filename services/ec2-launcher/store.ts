import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { documentClientOf, requestTable, whetherConditionHeld } from "../shared/dynamo.ts";
import { createIdempotency, type Idempotency } from "../shared/idempotency.ts";
import {
  type RecordedRelease,
  type ReleaseOutcomeEffect,
  type ReleaseSettlement,
  recordReleaseIn,
  settleReleaseIn,
} from "../shared/release-checks.ts";
import { tableNames } from "./config.ts";
import type { Ec2Request } from "./domain.ts";
import type { Ec2ReleaseRequest, ReleaseOutcome } from "./release.ts";
import { LAUNCHES_BY_INSTANCE_INDEX } from "./tables.ts";

/**
 * The events the launcher publishes once per request: `started` is ProvisioningStarted, `outcome` is
 * whichever of ResourceProvisioned and ProvisioningFailed comes first; and once per release of it,
 * whichever of ResourceReleased and ReleaseFailed comes first.
 */
export type LaunchEffect = "started" | "outcome" | ReleaseOutcomeEffect;

/** Why a request can never launch as asked: no image for it, or EC2 refusing it for good. */
export interface PermanentLaunchFailure {
  errorCode?: string;
  reason: string;
}

/** The release of a request's instance, as its ReleaseRequested asked it, and how it went. */
export interface ReleaseRecord
  extends Omit<RecordedRelease, "resource" | "action">,
    Pick<Ec2ReleaseRequest, "resource" | "action"> {
  /** The place of the latest check made (0 before the first). */
  attempts: number;
  /** Set once a check found the release done (with its settledAt, after its ResourceReleased). */
  outcome?: ReleaseOutcome;
}

export interface LaunchRecord {
  requestId: string;
  request: Ec2Request;
  approver: string;
  instanceId?: string;
  /** Set instead of an instance; its ProvisioningFailed is the request's outcome. */
  permanentFailure?: PermanentLaunchFailure;
  /** The latest ExpiresAt value put on the instance: an ISO end, or `never`. */
  expiresAt?: string;
  release?: ReleaseRecord;
}

/**
 * The launch of each request, and the records of its events in the idempotency table. A crash after
 * EventBridge took one of them and before its record leaves it in progress until that invocation's
 * deadline; a retry then publishes it again, under a new event id. Every consumer keys the launcher's
 * events by request id, so the copy is a repeat: it is listed twice on the timeline and moves nothing.
 */
export const createLaunchStore = (
  document: DynamoDBDocumentClient,
  tableName: string,
  idempotency: Idempotency,
) => {
  const table = requestTable<LaunchRecord>(document, tableName);
  return {
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

    /** Records why the request can never launch (the first failure recorded sticks) and answers that one. */
    recordPermanentFailure: async (
      requestId: string,
      failure: PermanentLaunchFailure,
    ): Promise<PermanentLaunchFailure> => {
      const { Attributes } = await document.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { requestId },
          UpdateExpression: "SET permanentFailure = if_not_exists(permanentFailure, :failure)",
          ConditionExpression: "attribute_exists(requestId)",
          ExpressionAttributeValues: { ":failure": failure },
          ReturnValues: "ALL_NEW",
        }),
      );
      return (Attributes as LaunchRecord & { permanentFailure: PermanentLaunchFailure }).permanentFailure;
    },

    /**
     * Records the lease's end as the instance's ExpiresAt value, unless a later one is recorded: a lease
     * only moves later, so an older LeaseStarted or LeaseExtended delivered late must not put its end
     * back. ISO timestamps of one format order as text, and `never` (no end, which is never extended)
     * sorts after them. True when `value` is the latest, also when it is recorded already (a redelivery).
     */
    recordExpiresAt: (requestId: string, value: string): Promise<boolean> =>
      whetherConditionHeld(
        document.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { requestId },
            UpdateExpression: "SET expiresAt = :value",
            ConditionExpression: "attribute_not_exists(expiresAt) OR expiresAt <= :value",
            ExpressionAttributeValues: { ":value": value },
          }),
        ),
      ),

    /**
     * Records the release asked, unless one is recorded that stands (services/shared/release-checks.ts:
     * after a failed one, a later ReleaseRequested is a new release), and answers the release as it stands.
     */
    recordRelease: (requestId: string, asked: Omit<ReleaseRecord, "n" | "settledAt" | "failedAt">) =>
      recordReleaseIn(table, requestId, asked),

    /** Records that the check at this place is being made. */
    recordReleaseCheck: async (requestId: string, attempt: number): Promise<void> => {
      await document.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { requestId },
          UpdateExpression: "SET #release.attempts = :attempt",
          ConditionExpression: "attribute_exists(#release)",
          ExpressionAttributeNames: { "#release": "release" },
          ExpressionAttributeValues: { ":attempt": attempt },
        }),
      );
    },

    /** Records how the release ended, after its report (with its outcome when it took). */
    settleRelease: (requestId: string, requestedAt: string, settlement: ReleaseSettlement) =>
      settleReleaseIn(table, requestId, requestedAt, settlement),

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
    publishOnce: (requestId: string, effect: LaunchEffect, publish: () => Promise<string[]>) =>
      idempotency.runOnce({ name: effect, key: requestId }, publish),
  };
};

export type LaunchStore = ReturnType<typeof createLaunchStore>;

const client = new DynamoDBClient({});

export const launcherIdempotency = createIdempotency({
  client,
  tableName: tableNames.idempotency,
  service: "ec2-launcher",
});

export const launchStore = createLaunchStore(
  documentClientOf(client),
  tableNames.launches,
  launcherIdempotency,
);
