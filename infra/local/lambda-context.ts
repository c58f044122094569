import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";
import { EVENT_HANDLER_TIMEOUT_MS } from "../../services/shared/leases.ts";

/** The context Lambda hands a handler, as far as middy and Powertools read it. */
export const localLambdaContext = (functionName: string, region: string, accountId: string): Context => {
  // Reported to the handler as on Lambda; local mode does not cut a handler off at the deadline.
  const deadline = Date.now() + EVENT_HANDLER_TIMEOUT_MS;
  return {
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
  };
};
