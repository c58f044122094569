import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";

const LOCAL_TIMEOUT_MS = 30_000;

/** The context Lambda hands a handler, as far as middy and Powertools read it. */
export const localLambdaContext = (functionName: string, region: string, accountId: string): Context => {
  const deadline = Date.now() + LOCAL_TIMEOUT_MS;
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
