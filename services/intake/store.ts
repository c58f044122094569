import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { AcceptedRequest } from "../../events/request.ts";
import { tableNames } from "./config.ts";
import type { IdentifiedRequest } from "./domain.ts";
import type { PublicationLedger } from "./publish-once.ts";
import { rejectionsTable, requestsTable } from "./tables.ts";

/** The item of `intake-requests`: written by the HTTP submission, by the consumer, or both. */
export interface StoredRequest {
  requestId: string;
  contentHash: string;
  request: AcceptedRequest;
  submittedAt?: string;
  /** ResourceRequested went out for the HTTP submission. */
  submissionPublished?: boolean;
  /** When the consumer first accepted it; every RequestAccepted for it carries this same time. */
  acceptedAt?: string;
  acceptedEventPublished?: boolean;
}

export type SubmissionOutcome =
  | { kind: "created" }
  | { kind: "exists"; alreadyPublished: boolean }
  | { kind: "conflict" };

export type AcceptanceOutcome =
  | { kind: "stored"; record: StoredRequest & { acceptedAt: string } }
  | { kind: "conflict" };

/** Refusals are kept this long: far beyond the bus's retry window, then DynamoDB may drop them. */
const REJECTION_RETENTION_SECONDS = 14 * 24 * 3600;

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;

/** Runs a conditional write; resolves false when its condition did not hold. */
const conditionally = async (write: Promise<unknown>): Promise<boolean> => {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
};

interface LedgerOptions {
  tableName: string;
  keyName: string;
  /** The attribute that says the event went out. */
  publishedAttribute: string;
  /** Items created by a claim get this epoch-seconds expiry (the table's TTL attribute). */
  expiry?: { attribute: string; afterSeconds: number };
}

/**
 * Claims on an item that make one publisher at a time send its event: a claim holds for a lease, so a
 * publisher that died mid-way is taken over once the lease is up.
 */
const ledgerOn = (
  document: DynamoDBDocumentClient,
  { tableName, keyName, publishedAttribute, expiry }: LedgerOptions,
): PublicationLedger => {
  const names = { "#key": keyName, "#published": publishedAttribute };
  return {
    claim: ({ key, token, now, leaseMs }) =>
      conditionally(
        document.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { [keyName]: key },
            UpdateExpression: `SET claimToken = :token, claimExpiresAt = :expiresAt${expiry ? ", #expiry = if_not_exists(#expiry, :retainUntil)" : ""}`,
            ConditionExpression:
              "attribute_not_exists(#published) AND (attribute_not_exists(claimToken) OR claimExpiresAt < :now)",
            ExpressionAttributeNames: {
              "#published": publishedAttribute,
              ...(expiry && { "#expiry": expiry.attribute }),
            },
            ExpressionAttributeValues: {
              ":token": token,
              ":now": now.getTime(),
              ":expiresAt": now.getTime() + leaseMs,
              ...(expiry && { ":retainUntil": Math.floor(now.getTime() / 1000) + expiry.afterSeconds }),
            },
          }),
        ),
      ),
    status: async ({ key, now }) => {
      const { Item } = await document.send(
        new GetCommand({ TableName: tableName, Key: { [keyName]: key }, ConsistentRead: true }),
      );
      if (Item?.[publishedAttribute] === true) return "published";
      return typeof Item?.claimExpiresAt === "number" && Item.claimExpiresAt >= now.getTime()
        ? "claimed"
        : "free";
    },
    markPublished: async ({ key }) => {
      // Whoever published records it; a second publisher racing here finds it recorded already.
      await conditionally(
        document.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { [keyName]: key },
            UpdateExpression: "SET #published = :true REMOVE claimToken, claimExpiresAt",
            ConditionExpression: "attribute_exists(#key) AND attribute_not_exists(#published)",
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ":true": true },
          }),
        ),
      );
    },
    release: async ({ key, token }) => {
      await conditionally(
        document.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { [keyName]: key },
            UpdateExpression: "REMOVE claimToken, claimExpiresAt",
            ConditionExpression: "claimToken = :token",
            ExpressionAttributeValues: { ":token": token },
          }),
        ),
      );
    },
  };
};

export const createIntakeStore = (
  document: DynamoDBDocumentClient,
  tables: { requests: string; rejections: string },
) => {
  const getRequest = async (requestId: string): Promise<StoredRequest | undefined> => {
    const { Item } = await document.send(
      new GetCommand({ TableName: tables.requests, Key: { requestId }, ConsistentRead: true }),
    );
    return Item as StoredRequest | undefined;
  };

  /** The HTTP path: one record per id; an id seen before is the same request only if its content is. */
  const recordSubmission = async ({
    requestId,
    request,
    contentHash,
    submittedAt,
  }: IdentifiedRequest & { submittedAt: string }): Promise<SubmissionOutcome> => {
    const created = await conditionally(
      document.send(
        new PutCommand({
          TableName: tables.requests,
          Item: { requestId, request, contentHash, submittedAt } satisfies StoredRequest,
          ConditionExpression: "attribute_not_exists(requestId)",
        }),
      ),
    );
    if (created) return { kind: "created" };
    const existing = await getRequest(requestId);
    if (existing?.contentHash !== contentHash) return { kind: "conflict" };
    return {
      kind: "exists",
      alreadyPublished: Boolean(existing.submissionPublished || existing.acceptedEventPublished),
    };
  };

  const markSubmissionPublished = async (requestId: string): Promise<void> => {
    await document.send(
      new UpdateCommand({
        TableName: tables.requests,
        Key: { requestId },
        UpdateExpression: "SET submissionPublished = :true",
        ExpressionAttributeValues: { ":true": true },
      }),
    );
  };

  /**
   * The consumer's path: stores the request under its id unless the id holds different content (an
   * HTTP submission of the same content is the same request). The first acceptance time sticks.
   */
  const recordAcceptance = async ({
    requestId,
    request,
    contentHash,
    acceptedAt,
  }: IdentifiedRequest & { acceptedAt: string }): Promise<AcceptanceOutcome> => {
    try {
      const { Attributes } = await document.send(
        new UpdateCommand({
          TableName: tables.requests,
          Key: { requestId },
          UpdateExpression:
            "SET contentHash = :hash, #request = if_not_exists(#request, :request), acceptedAt = if_not_exists(acceptedAt, :acceptedAt)",
          ConditionExpression: "attribute_not_exists(requestId) OR contentHash = :hash",
          // `request` is one of DynamoDB's reserved words.
          ExpressionAttributeNames: { "#request": "request" },
          ExpressionAttributeValues: { ":hash": contentHash, ":request": request, ":acceptedAt": acceptedAt },
          ReturnValues: "ALL_NEW",
        }),
      );
      return { kind: "stored", record: Attributes as StoredRequest & { acceptedAt: string } };
    } catch (error) {
      if (isConditionFailure(error)) return { kind: "conflict" };
      throw error;
    }
  };

  return {
    getRequest,
    recordSubmission,
    markSubmissionPublished,
    recordAcceptance,
    /** Who sends a request's RequestAccepted; the flag lives on the request item itself. */
    acceptances: ledgerOn(document, {
      tableName: tables.requests,
      keyName: requestsTable.partitionKey.name,
      publishedAttribute: "acceptedEventPublished",
    }),
    /** Who sends a refused detail's RequestInvalid. */
    rejections: ledgerOn(document, {
      tableName: tables.rejections,
      keyName: rejectionsTable.partitionKey.name,
      publishedAttribute: "published",
      expiry: { attribute: rejectionsTable.timeToLiveAttribute, afterSeconds: REJECTION_RETENTION_SECONDS },
    }),
  };
};

export type IntakeStore = ReturnType<typeof createIntakeStore>;

export const intakeStore = createIntakeStore(
  DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
  tableNames,
);
