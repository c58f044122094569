import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { whetherConditionHeld } from "./dynamo.ts";
import { EFFECT_LEASE_MS } from "./leases.ts";

/** Another delivery still holds the claim on this effect; thrown so the bus retries later. */
export class EffectInProgressError extends Error {
  override readonly name = "EffectInProgressError";
}

/** Polls of a claim held by a concurrent delivery before leaving it to the bus's retry (about 5 s). */
const MAX_POLLS = 12;
const pollDelayMs = (poll: number) => Math.min(25 * 2 ** poll, 800);

export interface OnceOptions<Result> {
  document: DynamoDBDocumentClient;
  tableName: string;
  /** The item the effect is recorded on; created by the first claim when it does not exist. */
  key: Record<string, string>;
  /** Names the effect, so one item can record several (its attributes are prefixed with it). */
  effect: string;
  now: () => Date;
  /** The side effect; what it resolves to is stored and handed to every later delivery. */
  run: () => Promise<Result>;
  /**
   * For items that exist only to record the effect: the first claim sets this epoch-seconds expiry (the
   * table's TTL attribute), long after any redelivery could come, so DynamoDB may drop the item then.
   */
  retention?: { attribute: string; seconds: number };
}

export interface OnceOutcome<Result> {
  /** False when an earlier delivery had already run the effect. */
  ran: boolean;
  result: Result;
}

/**
 * Runs a side effect once across redeliveries and concurrent copies of an event: one delivery claims
 * it with a conditional write, runs it, then records it done with its result; the others wait for that
 * record. A failed run gives the claim back, so the bus's retry runs it again. A crash between the run
 * and the record lets a later delivery run it again once the lease is up: a rare duplicate is the price
 * of never losing the effect.
 */
export const runOnce = async <Result extends Record<string, unknown>>({
  document,
  tableName,
  key,
  effect,
  now,
  run,
  retention,
}: OnceOptions<Result>): Promise<OnceOutcome<Result>> => {
  const attribute = {
    token: `${effect}ClaimToken`,
    leaseUntil: `${effect}LeaseUntil`,
    doneAt: `${effect}DoneAt`,
    result: `${effect}Result`,
  };
  const token = randomUUID();

  const claim = () => {
    const claimedAt = now().getTime();
    return whetherConditionHeld(
      document.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: `SET #token = :token, #leaseUntil = :leaseUntil${retention ? ", #retainUntil = if_not_exists(#retainUntil, :retainUntil)" : ""}`,
          ConditionExpression:
            "attribute_not_exists(#doneAt) AND (attribute_not_exists(#leaseUntil) OR #leaseUntil < :now)",
          ExpressionAttributeNames: {
            "#token": attribute.token,
            "#leaseUntil": attribute.leaseUntil,
            "#doneAt": attribute.doneAt,
            ...(retention && { "#retainUntil": retention.attribute }),
          },
          ExpressionAttributeValues: {
            ":token": token,
            ":now": claimedAt,
            ":leaseUntil": claimedAt + EFFECT_LEASE_MS,
            ...(retention && { ":retainUntil": Math.floor(claimedAt / 1000) + retention.seconds }),
          },
        }),
      ),
    );
  };

  // When the condition fails, another delivery took the expired claim over: it is theirs to release.
  const release = () =>
    whetherConditionHeld(
      document.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: "REMOVE #token, #leaseUntil",
          ConditionExpression: "#token = :token",
          ExpressionAttributeNames: { "#token": attribute.token, "#leaseUntil": attribute.leaseUntil },
          ExpressionAttributeValues: { ":token": token },
        }),
      ),
    );

  // When the condition fails, a delivery that took over an expired claim ran the effect too and
  // recorded it first: the result later deliveries were handed stands.
  const recordDone = (result: Result) =>
    whetherConditionHeld(
      document.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: "SET #doneAt = :doneAt, #result = :result REMOVE #token, #leaseUntil",
          ConditionExpression: "attribute_not_exists(#doneAt)",
          ExpressionAttributeNames: {
            "#doneAt": attribute.doneAt,
            "#result": attribute.result,
            "#token": attribute.token,
            "#leaseUntil": attribute.leaseUntil,
          },
          ExpressionAttributeValues: { ":doneAt": now().toISOString(), ":result": result },
        }),
      ),
    );

  const readRecord = async () => {
    const { Item } = await document.send(
      new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
    );
    return {
      done: Item?.[attribute.doneAt] !== undefined,
      result: Item?.[attribute.result] as Result,
      claimLive:
        typeof Item?.[attribute.leaseUntil] === "number" && Item[attribute.leaseUntil] >= now().getTime(),
    };
  };

  for (let poll = 0; ; poll++) {
    if (await claim()) {
      let result: Result;
      try {
        result = await run();
      } catch (runError) {
        // The run's error is what the bus must retry on; if the release fails too, the lease covers it.
        await release().catch((releaseError: unknown) => {
          throw new AggregateError(
            [runError, releaseError],
            `${effect} failed and its claim was not released`,
          );
        });
        throw runError;
      }
      await recordDone(result);
      return { ran: true, result };
    }
    const record = await readRecord();
    if (record.done) return { ran: false, result: record.result };
    if (poll >= MAX_POLLS) {
      throw new EffectInProgressError(
        `Another delivery is still running ${effect} for ${JSON.stringify(key)}`,
      );
    }
    if (record.claimLive) await sleep(pollDelayMs(poll));
  }
};

/**
 * Publishes an event once, as `runOnce` runs an effect: `publish` sends it (resolving to the ids of
 * what it sent) and the first event id is the recorded result.
 */
export const publishOnce = ({
  publish,
  ...options
}: Omit<OnceOptions<{ eventId?: string }>, "run"> & {
  publish: () => Promise<string[]>;
}): Promise<OnceOutcome<{ eventId?: string }>> =>
  runOnce({ ...options, run: async () => ({ eventId: (await publish())[0] }) });
