import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { AcceptedRequest } from "../../events/request.ts";
import { documentClientOf, unlessConditionFails, whetherConditionHeld } from "../shared/dynamo.ts";
import { createIdempotency, type Idempotency } from "../shared/idempotency.ts";
import { traced } from "../shared/observability.ts";
import { tableNames } from "./config.ts";
import type { Estimate } from "./cost/estimate.ts";
import type { IdentifiedRequest } from "./domain.ts";

/** The item of `intake-requests`: written by the HTTP submission, by the consumer, or both. */
export interface StoredRequest {
  requestId: string;
  contentHash: string;
  request: AcceptedRequest;
  submittedAt?: string;
  /** ResourceRequested went out for the HTTP submission. */
  submissionPublished?: boolean;
  /**
   * When the consumer first accepted it; every RequestAccepted for it carries this same time. Whether
   * that RequestAccepted went out is recorded in the idempotency table (effect "acceptance").
   */
  acceptedAt?: string;
  /** The cost estimate worked out when the consumer first accepted it; every acceptance carries this one. */
  estimate?: Estimate;
}

export type SubmissionOutcome =
  | { kind: "created" }
  | { kind: "exists"; alreadyPublished: boolean }
  | { kind: "conflict" };

export type AcceptanceOutcome =
  | { kind: "stored"; record: StoredRequest & { acceptedAt: string; estimate: Estimate } }
  | { kind: "conflict" };

/**
 * The request items, and intake's publications, each run once through the idempotency table. A crash
 * after EventBridge took a publication and before its record leaves it in progress until that
 * invocation's deadline; a retry then publishes it again, under a new event id. A second
 * RequestAccepted carries the same request and acceptance time, and approval-mail keys by request id,
 * so it is a repeat; a second RequestInvalid can email the requester the same refusal twice.
 */
export const createIntakeStore = (
  document: DynamoDBDocumentClient,
  tables: { requests: string },
  idempotency: Idempotency,
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
    const created = await whetherConditionHeld(
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
    // A consumer that accepted it was delivered its ResourceRequested: it reached the bus.
    return { kind: "exists", alreadyPublished: Boolean(existing.submissionPublished || existing.acceptedAt) };
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
   * HTTP submission of the same content is the same request). The first acceptance time and estimate stick.
   */
  const recordAcceptance = async ({
    requestId,
    request,
    contentHash,
    acceptedAt,
    estimate,
  }: IdentifiedRequest & { acceptedAt: string; estimate: Estimate }): Promise<AcceptanceOutcome> => {
    const stored = await unlessConditionFails(
      document.send(
        new UpdateCommand({
          TableName: tables.requests,
          Key: { requestId },
          UpdateExpression:
            "SET contentHash = :hash, #request = if_not_exists(#request, :request), acceptedAt = if_not_exists(acceptedAt, :acceptedAt), estimate = if_not_exists(estimate, :estimate)",
          ConditionExpression: "attribute_not_exists(requestId) OR contentHash = :hash",
          // `request` is one of DynamoDB's reserved words.
          ExpressionAttributeNames: { "#request": "request" },
          ExpressionAttributeValues: {
            ":hash": contentHash,
            ":request": request,
            ":acceptedAt": acceptedAt,
            ":estimate": estimate,
          },
          ReturnValues: "ALL_NEW",
        }),
      ),
    );
    if (!stored) return { kind: "conflict" };
    return {
      kind: "stored",
      record: stored.Attributes as StoredRequest & { acceptedAt: string; estimate: Estimate },
    };
  };

  return {
    getRequest,
    recordSubmission,
    markSubmissionPublished,
    recordAcceptance,
    /** Publishes a request's RequestAccepted once, however often and concurrently it is attempted. */
    publishAcceptanceOnce: (requestId: string, publish: () => Promise<string[]>) =>
      idempotency.runOnce({ name: "acceptance", key: requestId }, publish),
    /**
     * Publishes the RequestInvalid of a refused event once, keyed by the refusal's id (one per event):
     * each copy of a refused detail is a submission of its own, answered under its own id.
     */
    publishRefusalOnce: (refusalId: string, publish: () => Promise<string[]>) =>
      idempotency.runOnce({ name: "refusal", key: refusalId }, publish),
  };
};

export type IntakeStore = ReturnType<typeof createIntakeStore>;

const client = traced(new DynamoDBClient({}));

export const intakeIdempotency = createIdempotency({
  client,
  tableName: tableNames.idempotency,
  service: "intake",
});

export const intakeStore = createIntakeStore(documentClientOf(client), tableNames, intakeIdempotency);
