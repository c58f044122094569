import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { RequestFor } from "../../events/request.ts";
import { documentClientOf, queryAll, requestTable, unlessConditionFails } from "../shared/dynamo.ts";
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
import type { RdsRelease } from "./domain.ts";
import { CREATIONS_BY_IDENTIFIER_INDEX, UNSETTLED_CREATIONS_INDEX } from "./tables.ts";

/**
 * The events the launcher publishes once per request: `started` is ProvisioningStarted, `outcome` is
 * whichever of ResourceProvisioned and ProvisioningFailed comes first; and once per release of it,
 * whichever of ResourceReleased and ReleaseFailed comes first.
 */
export type CreationEffect = "started" | "outcome" | ReleaseOutcomeEffect;

/** The release of the request's instance, as its ReleaseRequested asked it: what the reaper's checks work from. */
export interface ReleaseRecord
  extends Omit<RecordedRelease, "resource" | "action">,
    Pick<RdsRelease, "resource" | "action"> {
  /** Absent when the policy said to delete without one. */
  finalSnapshotIdentifier?: string;
}

/** Why a request can never be created as asked: RDS refusing it, or its identifier taken by another. */
export interface PermanentCreationFailure {
  errorCode?: string;
  reason: string;
}

/** The one value of `awaiting`: the item is on the sweeper's index until its outcome is published. */
const AWAITING_OUTCOME = "outcome";

export interface CreationRecord {
  requestId: string;
  request: RequestFor<"rds">;
  approver: string;
  region: string;
  dbInstanceIdentifier: string;
  /** When RDS accepted the creation (or the launcher found its own instance after a crash). */
  creatingSince?: string;
  /** Set instead of a creation; its ProvisioningFailed is the request's outcome. */
  permanentFailure?: PermanentCreationFailure;
  /** On the sweeper's index, due at `checkAt`, while the creation waits for its outcome. */
  awaiting?: typeof AWAITING_OUTCOME;
  checkAt?: string;
  settledAt?: string;
  /** When its ResourceProvisioned was published: a deletion after it, with no release, ended it outside this tool. */
  provisionedAt?: string;
  /** The value of the instance's ExpiresAt tag, the latest lease end it was tagged with. */
  expiresAt?: string;
  release?: ReleaseRecord;
}

export type NewCreation = Pick<
  CreationRecord,
  "requestId" | "request" | "approver" | "region" | "dbInstanceIdentifier"
>;

/**
 * The creation of each request, and the records of its events in the idempotency table. A crash after
 * EventBridge took one of them and before its record leaves it in progress until that invocation's
 * deadline; a retry then publishes it again: every consumer keys the launcher's events by request id,
 * so the copy is a repeat that moves nothing.
 */
export const createCreationStore = (
  document: DynamoDBDocumentClient,
  tableName: string,
  idempotency: Idempotency,
) => {
  const table = requestTable<CreationRecord>(document, tableName);
  return {
    /**
     * Records the approved request and where its instance goes, before RDS is asked (so an event of the
     * instance always finds it); the first approval seen sticks. Answers the creation as it stands.
     */
    recordApproval: async (creation: NewCreation): Promise<CreationRecord> => {
      const { requestId, ...fields } = creation;
      const names = Object.keys(fields);
      const { Attributes } = await table.update({
        Key: { requestId },
        UpdateExpression: `SET ${names.map((name) => `#${name} = if_not_exists(#${name}, :${name})`).join(", ")}`,
        // `request` is one of DynamoDB's reserved words: every name goes through a placeholder alike.
        ExpressionAttributeNames: Object.fromEntries(names.map((name) => [`#${name}`, name])),
        ExpressionAttributeValues: Object.fromEntries(
          Object.entries(fields).map(([name, value]) => [`:${name}`, value]),
        ),
        ReturnValues: "ALL_NEW",
      });
      return Attributes as CreationRecord;
    },

    /**
     * Records that RDS is creating the instance, and puts it on the sweeper's index due at `checkAt`.
     * Nothing changes once the creation is settled: a late redelivery must not bring it back.
     */
    markCreating: async (requestId: string, since: Date, checkAt: Date): Promise<void> => {
      await unlessConditionFails(
        table.update({
          Key: { requestId },
          UpdateExpression:
            "SET creatingSince = if_not_exists(creatingSince, :since), awaiting = :awaiting, checkAt = if_not_exists(checkAt, :checkAt)",
          ConditionExpression: "attribute_exists(requestId) AND attribute_not_exists(settledAt)",
          ExpressionAttributeValues: {
            ":since": since.toISOString(),
            ":awaiting": AWAITING_OUTCOME,
            ":checkAt": checkAt.toISOString(),
          },
        }),
      );
    },

    /** Records why the request can never be created (the first failure recorded sticks) and answers that one. */
    recordPermanentFailure: async (
      requestId: string,
      failure: PermanentCreationFailure,
    ): Promise<PermanentCreationFailure> => {
      const { Attributes } = await table.update({
        Key: { requestId },
        UpdateExpression: "SET permanentFailure = if_not_exists(permanentFailure, :failure)",
        ConditionExpression: "attribute_exists(requestId)",
        ExpressionAttributeValues: { ":failure": failure },
        ReturnValues: "ALL_NEW",
      });
      return (Attributes as CreationRecord & { permanentFailure: PermanentCreationFailure }).permanentFailure;
    },

    /** Records that the instance became available, as its ResourceProvisioned is published. */
    markProvisioned: (requestId: string, at: Date): Promise<void> => markProvisionedIn(table, requestId, at),

    /** Records the outcome published, taking the creation off the sweeper's index. */
    markSettled: async (requestId: string, at: Date): Promise<void> => {
      await table.update({
        Key: { requestId },
        UpdateExpression: "SET settledAt = if_not_exists(settledAt, :at) REMOVE awaiting, checkAt",
        ConditionExpression: "attribute_exists(requestId)",
        ExpressionAttributeValues: { ":at": at.toISOString() },
      });
    },

    get: table.get,

    /** Records the lease end the instance is to be tagged with, unless a later one is; resolves whether to tag. */
    recordExpiresAt: (requestId: string, expiresAt: string): Promise<boolean> =>
      recordExpiresAtIn(table, requestId, expiresAt),

    /**
     * Records the release asked, unless one is recorded that stands (services/shared/release-checks.ts:
     * after a failed one, a later ReleaseRequested is a new release), and answers the release as it stands.
     */
    recordRelease: (requestId: string, asked: Omit<ReleaseRecord, "n" | "settledAt" | "failedAt">) =>
      recordReleaseIn(table, requestId, asked),

    /** Keeps RDS's latest refusal to delete the instance, for the ReleaseFailed if it stays. */
    recordReleaseRefusal: (requestId: string, refusal: string): Promise<void> =>
      recordReleaseRefusalIn(table, requestId, refusal),

    /** Records how the release ended, after its report: later checks and redeliveries do nothing. */
    settleRelease: (requestId: string, requestedAt: string, settlement: ReleaseSettlement) =>
      settleReleaseIn(table, requestId, requestedAt, settlement),

    /** The creation of this DB instance, as the index has it (it is written before RDS is asked). */
    findByIdentifier: async (dbInstanceIdentifier: string): Promise<CreationRecord | undefined> => {
      const { Items } = await document.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: CREATIONS_BY_IDENTIFIER_INDEX.indexName,
          KeyConditionExpression: "dbInstanceIdentifier = :identifier",
          ExpressionAttributeValues: { ":identifier": dbInstanceIdentifier },
        }),
      );
      return Items?.[0] as CreationRecord | undefined;
    },

    /** The creations still without an outcome whose check is due by `dueBy`, every page of the index. */
    listUnsettled: (dueBy: Date): Promise<CreationRecord[]> =>
      queryAll<CreationRecord>(document, {
        TableName: tableName,
        IndexName: UNSETTLED_CREATIONS_INDEX.indexName,
        KeyConditionExpression: "awaiting = :awaiting AND checkAt <= :dueBy",
        ExpressionAttributeValues: { ":awaiting": AWAITING_OUTCOME, ":dueBy": dueBy.toISOString() },
      }),

    /** Publishes one of the creation's events once, however often and concurrently it is attempted. */
    publishOnce: (requestId: string, effect: CreationEffect, publish: () => Promise<string[]>) =>
      idempotency.runOnce({ name: effect, key: requestId }, publish),
  };
};

export type CreationStore = ReturnType<typeof createCreationStore>;

const client = traced(new DynamoDBClient({}));

export const launcherIdempotency = createIdempotency({
  client,
  tableName: tableNames.idempotency,
  service: "rds-launcher",
});

export const creationStore = createCreationStore(
  documentClientOf(client),
  tableNames.creations,
  launcherIdempotency,
);
