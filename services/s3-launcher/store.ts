import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { documentClientOf, requestTable } from "../shared/dynamo.ts";
import { createIdempotency, type Idempotency } from "../shared/idempotency.ts";
import { traced } from "../shared/observability.ts";
import {
  type RecordedRelease,
  type ReleaseOutcomeEffect,
  type ReleaseSettlement,
  recordExpiresAtIn,
  recordReleaseIn,
  settleReleaseIn,
} from "../shared/release-checks.ts";
import { tableNames } from "./config.ts";
import type { BucketRelease, BucketRequest, PermanentBucketFailure } from "./domain.ts";

/**
 * The events the launcher publishes once per request: `started` is ProvisioningStarted, `outcome` is
 * whichever of ResourceProvisioned and ProvisioningFailed comes first; and once per release of it,
 * whichever of ResourceReleased and ReleaseFailed comes first.
 */
export type LaunchEffect = "started" | "outcome" | ReleaseOutcomeEffect;

/** The release of the request's bucket, as its ReleaseRequested asked it: what the reaper's checks work from. */
export type ReleaseRecord = Omit<RecordedRelease, "resource" | "action"> &
  Pick<BucketRelease, "resource" | "action">;

/** The lease of a request's bucket, in the leases table. */
export interface LeaseRecord {
  requestId: string;
  /** The value of the bucket's ExpiresAt tag, the latest lease end it was tagged with. */
  expiresAt?: string;
  release?: ReleaseRecord;
}

export interface BucketRecord {
  bucketName: string;
  /** The request that holds the name: the first to claim it. */
  requestId: string;
  request: BucketRequest;
  approver: string;
  region: string;
  /** A CreateBucket call was made (or was about to be) for this request: an untagged bucket may be its own. */
  createCalled?: boolean;
  /** The bucket is known to be the request's own. */
  created?: boolean;
  /** Set instead of a bucket; its ProvisioningFailed is the request's outcome. */
  permanentFailure?: PermanentBucketFailure;
}

type Claim = Pick<BucketRecord, "requestId" | "request" | "approver" | "region">;

/**
 * The bucket name each request claimed, and the records of its events in the idempotency table. A
 * crash after EventBridge took one of them and before its record leaves it in progress until that
 * invocation's deadline; a retry then publishes it again, under a new event id, which every consumer
 * takes as a repeat (they key the launcher's events by request id).
 */
export const createBucketStore = (
  document: DynamoDBDocumentClient,
  tableName: string,
  leasesTableName: string,
  idempotency: Idempotency,
) => {
  const leases = requestTable<LeaseRecord>(document, leasesTableName);
  const get = async (bucketName: string): Promise<BucketRecord | undefined> => {
    const { Item } = await document.send(
      new GetCommand({ TableName: tableName, Key: { bucketName }, ConsistentRead: true }),
    );
    return Item as BucketRecord | undefined;
  };

  /** Sets `field` on the name's record, only while this request holds it. */
  const mark = async (bucketName: string, requestId: string, field: "createCalled" | "created") => {
    await document.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { bucketName },
        UpdateExpression: "SET #field = :true",
        ConditionExpression: "requestId = :requestId",
        ExpressionAttributeNames: { "#field": field },
        ExpressionAttributeValues: { ":true": true, ":requestId": requestId },
      }),
    );
  };

  return {
    get,

    /**
     * Claims the request's bucket name, unless another request did first (the first claim sticks,
     * whatever became of it), and answers the name's record: another request's when it holds the name.
     */
    claim: async ({ requestId, request, approver, region }: Claim): Promise<BucketRecord> => {
      const { bucketName } = request.resource;
      try {
        const { Attributes } = await document.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { bucketName },
            UpdateExpression:
              "SET requestId = :requestId, #request = if_not_exists(#request, :request), approver = if_not_exists(approver, :approver), #region = if_not_exists(#region, :region)",
            ConditionExpression: "attribute_not_exists(bucketName) OR requestId = :requestId",
            // `request` and `region` are among DynamoDB's reserved words.
            ExpressionAttributeNames: { "#request": "request", "#region": "region" },
            ExpressionAttributeValues: {
              ":requestId": requestId,
              ":request": request,
              ":approver": approver,
              ":region": region,
            },
            ReturnValues: "ALL_NEW",
          }),
        );
        return Attributes as BucketRecord;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Claims are never deleted, so the holder's record is there to read.
        return (await get(bucketName)) as BucketRecord;
      }
    },

    markCreateCalled: (bucketName: string, requestId: string) => mark(bucketName, requestId, "createCalled"),

    markCreated: (bucketName: string, requestId: string) => mark(bucketName, requestId, "created"),

    /** Records why the request's bucket can never be set up (the first failure sticks) and answers that one. */
    recordPermanentFailure: async (
      bucketName: string,
      requestId: string,
      failure: PermanentBucketFailure,
    ): Promise<PermanentBucketFailure> => {
      const { Attributes } = await document.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { bucketName },
          UpdateExpression: "SET permanentFailure = if_not_exists(permanentFailure, :failure)",
          ConditionExpression: "requestId = :requestId",
          ExpressionAttributeValues: { ":failure": failure, ":requestId": requestId },
          ReturnValues: "ALL_NEW",
        }),
      );
      return (Attributes as BucketRecord & { permanentFailure: PermanentBucketFailure }).permanentFailure;
    },

    /** The lease of the request's bucket, when it has one. */
    getLease: leases.get,

    /** Records the lease end the bucket is to be tagged with, unless a later one is; resolves whether to tag. */
    recordExpiresAt: (requestId: string, expiresAt: string): Promise<boolean> =>
      recordExpiresAtIn(leases, requestId, expiresAt),

    /**
     * Records the release asked, unless one is recorded that stands (services/shared/release-checks.ts:
     * after a failed one or a kept bucket, a later ReleaseRequested is a new release), and answers the
     * release as it stands.
     */
    recordRelease: (requestId: string, asked: Omit<ReleaseRecord, "n" | "settledAt" | "failedAt">) =>
      recordReleaseIn(leases, requestId, asked),

    /** Records how the release ended, after its report: later checks and redeliveries do nothing. */
    settleRelease: (requestId: string, requestedAt: string, settlement: ReleaseSettlement) =>
      settleReleaseIn(leases, requestId, requestedAt, settlement),

    /** Publishes one of the request's events once, however often and concurrently it is attempted. */
    publishOnce: (requestId: string, effect: LaunchEffect, publish: () => Promise<string[]>) =>
      idempotency.runOnce({ name: effect, key: requestId }, publish),
  };
};

export type BucketStore = ReturnType<typeof createBucketStore>;

const client = traced(new DynamoDBClient({}));

export const launcherIdempotency = createIdempotency({
  client,
  tableName: tableNames.idempotency,
  service: "s3-launcher",
});

export const bucketStore = createBucketStore(
  documentClientOf(client),
  tableNames.buckets,
  tableNames.leases,
  launcherIdempotency,
);
