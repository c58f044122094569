import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { documentClientOf, requestTable, whetherConditionHeld } from "../shared/dynamo.ts";
import { createIdempotency, type Idempotency } from "../shared/idempotency.ts";
import { traced } from "../shared/observability.ts";
import {
  markProvisionedIn,
  type RecordedRelease,
  type ReleaseOutcomeEffect,
  type ReleaseSettlement,
  recordExpiresAtIn,
  recordReleaseIn,
  recordReleaseRefusalIn,
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
  /** When EC2 first accepted its launch: where the time to provision starts. */
  launchedAt?: string;
  /** When its ResourceProvisioned was published: a termination after it, with no release, ended it outside this tool. */
  provisionedAt?: string;
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

    attachInstance: async (requestId: string, instanceId: string, at: Date): Promise<void> => {
      await document.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { requestId },
          UpdateExpression: "SET instanceId = :instanceId, launchedAt = if_not_exists(launchedAt, :at)",
          ConditionExpression: "attribute_exists(requestId)",
          ExpressionAttributeValues: { ":instanceId": instanceId, ":at": at.toISOString() },
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

    /** Records the lease end the instance is to be tagged with, unless a later one is; resolves whether to tag. */
    recordExpiresAt: (requestId: string, value: string): Promise<boolean> =>
      recordExpiresAtIn(table, requestId, value),

    /**
     * Records the release asked, unless one is recorded that stands (services/shared/release-checks.ts:
     * after a failed one, a later ReleaseRequested is a new release), and answers the release as it stands.
     */
    recordRelease: (requestId: string, asked: Omit<ReleaseRecord, "n" | "settledAt" | "failedAt">) =>
      recordReleaseIn(table, requestId, asked),

    /** Records that the instance ran, as its ResourceProvisioned is published. */
    markProvisioned: (requestId: string, at: Date): Promise<void> => markProvisionedIn(table, requestId, at),

    /**
     * Records stopping again an instance whose `stop` release took (someone started it since) as a
     * release of its own, numbered one more, whose checks and report (ResourceReleased, or ReleaseFailed
     * if it does not stop) are its own; it answers the same ReleaseRequested, and the lease has ended.
     * Two state changes at once record it once: the write holds only on the settled release as read.
     * Answers the release as it stands.
     */
    recordStopAgain: async (requestId: string, settled: ReleaseRecord): Promise<ReleaseRecord> => {
      const { request, resource, action, requestedAt } = settled;
      const n = settled.n ?? 1;
      const release: ReleaseRecord = {
        request,
        resource,
        action,
        reason: "lease-ended",
        requestedAt,
        n: n + 1,
      };
      const held = await whetherConditionHeld(
        table.update({
          Key: { requestId },
          UpdateExpression: "SET #release = :release",
          ConditionExpression: `attribute_exists(#release.settledAt) AND ${settled.n === undefined ? "attribute_not_exists(#release.n)" : "#release.n = :n"}`,
          ExpressionAttributeNames: { "#release": "release" },
          ExpressionAttributeValues: { ":release": release, ...(settled.n !== undefined && { ":n": n }) },
        }),
      );
      if (held) return release;
      // Another state change recorded it meanwhile: that one stands.
      return (await table.get(requestId))?.release as ReleaseRecord;
    },

    /** Keeps EC2's latest refusal to release the instance, for the ReleaseFailed if it stays. */
    recordReleaseRefusal: (requestId: string, refusal: string): Promise<void> =>
      recordReleaseRefusalIn(table, requestId, refusal),

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

const client = traced(new DynamoDBClient({}));

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
