import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";
import { EVENT_HANDLER_TIMEOUT_MS } from "../../services/shared/leases.ts";

/** The context Lambda hands a handler, as far as middy and Powertools read it. */
export const localLambdaContext = (
  functionName: string,
  region: string,
  accountId: string,
  deadline = Date.now() + EVENT_HANDLER_TIMEOUT_MS,
): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName,
  functionVersion: "$LATEST",
  invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
  memoryLimitInMB: "512",
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: "local",
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** An invocation that ran past its function's timeout, reported in Lambda's words. */
export class HandlerTimeoutError extends Error {
  override readonly name = "HandlerTimeoutError";
}

export interface LocalInvocation {
  functionName: string;
  region: string;
  accountId: string;
  timeoutMs?: number;
}

/**
 * Invokes an event handler as Lambda does, deadline included: past its timeout the invocation fails,
 * so the bus retries it instead of waiting on it forever. Node cannot freeze the late handler as Lambda
 * does, so it runs on: approval-mail's mailing claim outlasts the timeout (services/shared/leases.ts),
 * so its retry waits; an idempotency record in progress expires at the deadline, so a retry may run
 * that effect beside the late handler (a duplicate local mode allows and Lambda does not).
 */
export const invokeWithDeadline = async <Event>(
  handler: (event: Event, context: Context) => unknown,
  event: Event,
  { functionName, region, accountId, timeoutMs = EVENT_HANDLER_TIMEOUT_MS }: LocalInvocation,
): Promise<void> => {
  const context = localLambdaContext(functionName, region, accountId, Date.now() + timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HandlerTimeoutError(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([Promise.resolve().then(() => handler(event, context)), timedOut]);
  } finally {
    clearTimeout(timer);
  }
};
