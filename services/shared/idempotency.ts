import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { MiddlewareObj } from "@middy/core";
import type { ServiceName } from "./manifest.ts";
import { IDEMPOTENCY_RECORD_ATTRIBUTES } from "./table-spec.ts";

/**
 * How long an effect's record is kept: as long as a copy of its event can come back. The bus's archive
 * replays events up to 90 days old (infra/aws/stack.ts), which outlasts both EventBridge's retries (a day
 * at most) and a dead letter's 14 days in its queue before an operator redrives it.
 */
export const IDEMPOTENCY_RECORD_SECONDS = 90 * 24 * 3600;

/** A side effect and the business key (a request id, an event id) it is done once for. */
export interface Effect {
  name: string;
  key: string;
}

export interface EffectOutcome<Result> {
  /** False when an earlier delivery had already run the effect; `result` is then the one it recorded. */
  ran: boolean;
  result: Result;
}

/** An effect was about to be claimed with no invocation deadline to give its in-progress record. */
export class InvocationDeadlineError extends Error {
  override readonly name = "InvocationDeadlineError";
}

export interface Idempotency {
  /** Registers each invocation's Lambda context on `config`; every wired handler that runs effects uses it. */
  lambdaContextMiddleware: MiddlewareObj;
  config: IdempotencyConfig;
  /**
   * Runs `run` once per effect across redeliveries and copies of an event, and hands what it resolved to
   * (stored in DynamoDB, so plain data) to every later delivery.
   *
   * Powertools claims the effect with a conditional put before running it and records the result after.
   * A delivery that finds the effect in progress elsewhere fails with Powertools'
   * `IdempotencyAlreadyInProgressError`: handlers let it through, so the bus retries the delivery later
   * and it then finds the result. An effect that throws has its claim deleted, so the retry runs it.
   * A crash, a Lambda timeout or a failed write between the effect and its record leaves the claim in
   * progress until that invocation's deadline, then a retry runs the effect again: a rare duplicate,
   * where marking the effect done before running it would lose it to the same crash. (A claim whose
   * delete failed holds up the retries until that deadline too: late, not lost.) Lambda stops an
   * invocation at its deadline; local mode cannot stop a handler past its timeout, which may then run
   * an effect it had begun beside the retry that took its claim over.
   */
  runOnce: <Result>(effect: Effect, run: () => Promise<Result>) => Promise<EffectOutcome<Result>>;
}

/**
 * A service's Powertools Idempotency, built once per module: its records in the service's idempotency
 * table (an `idempotencyTableSpec`), through the client its store uses. Each record's key is prefixed
 * with the service's name rather than Powertools' default, the function's name, so the service's
 * functions share the records of the effects they have in common (ec2-launcher's outcome).
 */
export const createIdempotency = ({
  client,
  tableName,
  service,
}: {
  client: DynamoDBClient;
  tableName: string;
  service: ServiceName;
}): Idempotency => {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName,
    awsSdkV3Client: client,
    keyAttr: IDEMPOTENCY_RECORD_ATTRIBUTES.key,
    expiryAttr: IDEMPOTENCY_RECORD_ATTRIBUTES.expiry,
  });
  const config = new IdempotencyConfig({ expiresAfterSeconds: IDEMPOTENCY_RECORD_SECONDS });
  // The record is keyed by the effect alone (the first argument), never by the function that runs it.
  const runIdempotently = makeIdempotent(async (_effect: Effect, run: () => Promise<unknown>) => run(), {
    persistenceStore,
    config,
    keyPrefix: service,
    dataIndexArgument: 0,
  });

  return {
    config,
    lambdaContextMiddleware: {
      before: ({ context }) => {
        config.registerLambdaContext(context);
      },
    },
    runOnce: async <Result>(effect: Effect, run: () => Promise<Result>) => {
      // The claim's deadline is the invocation's: with no time left (or no context registered) Powertools
      // writes a claim without one, which a crash would leave blocking the effect until the record
      // expires. Local mode runs concurrent invocations of a function in one process, sharing this
      // config: the latest one's context then sets the deadline, as late as the caller's or later.
      const timeLeftMs = config.lambdaContext?.getRemainingTimeInMillis() ?? 0;
      if (timeLeftMs <= 0) {
        throw new InvocationDeadlineError(
          `No invocation time left to claim ${effect.name} for ${effect.key}: is the Lambda context registered?`,
        );
      }
      let ran = false;
      const result = await runIdempotently(effect, () => {
        ran = true;
        return run();
      });
      return { ran, result: result as Result };
    },
  };
};
