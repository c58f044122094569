import type { Context } from "aws-lambda";
import { localLambdaContext } from "../../infra/local/lambda-context.ts";
import { createIdempotency, type Idempotency } from "../../services/shared/idempotency.ts";
import { EVENT_HANDLER_TIMEOUT_MS } from "../../services/shared/leases.ts";
import type { ServiceName } from "../../services/shared/manifest.ts";
import type { TestDynamo } from "./dynamo.ts";

/** The context of a Lambda invocation whose deadline is `timeLeftMs` from now. */
export const invocationEndingIn = (timeLeftMs: number): Context =>
  localLambdaContext("test-function", "us-east-1", "000000000000", Date.now() + timeLeftMs);

/** The context of an invocation that always has a handler's whole time left, as if each call were a new one. */
export const everFreshInvocation = (): Context => ({
  ...invocationEndingIn(EVENT_HANDLER_TIMEOUT_MS),
  getRemainingTimeInMillis: () => EVENT_HANDLER_TIMEOUT_MS,
});

/** A service's idempotency on the test dynalite, set up as its wired handlers' middleware sets it up. */
export const testIdempotency = (dynamo: TestDynamo, tableName: string, service: ServiceName): Idempotency => {
  const idempotency = createIdempotency({ client: dynamo.client, tableName, service });
  idempotency.config.registerLambdaContext(everFreshInvocation());
  return idempotency;
};

/**
 * Delivers the events all at the same time, then once more each delivery that failed, as the bus
 * retries it; resolves to what the first deliveries failed with.
 */
export const deliverTogetherThenRetryFailures = async <Event>(
  handle: (event: Event) => Promise<unknown>,
  events: readonly Event[],
): Promise<unknown[]> => {
  const outcomes = await Promise.allSettled(events.map((event) => handle(event)));
  const failures: unknown[] = [];
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.status === "fulfilled") continue;
    failures.push(outcome.reason);
    await handle(events[index] as Event);
  }
  return failures;
};
