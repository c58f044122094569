import type { Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { HandlerTimeoutError, invokeWithDeadline } from "./lambda-context.ts";

const invocation = {
  functionName: "intake-on-resource-requested",
  region: "eu-west-1",
  accountId: "123456789012",
};

describe("invokeWithDeadline", () => {
  it("hands the handler the event and a context that counts down to its timeout", async () => {
    let seen: { event: unknown; context: Context } | undefined;

    await invokeWithDeadline(
      async (event, context) => {
        seen = { event, context };
      },
      { id: "event-1" },
      { ...invocation, timeoutMs: 5_000 },
    );

    expect(seen?.event).toEqual({ id: "event-1" });
    expect(seen?.context.invokedFunctionArn).toBe(
      "arn:aws:lambda:eu-west-1:123456789012:function:intake-on-resource-requested",
    );
    const remaining = seen?.context.getRemainingTimeInMillis() ?? 0;
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(5_000);
  });

  it("fails the invocation, in Lambda's words, when the handler runs past its timeout", async () => {
    const neverSettles = () => new Promise<never>(() => undefined);

    const outcome = invokeWithDeadline(neverSettles, {}, { ...invocation, timeoutMs: 50 });

    await expect(outcome).rejects.toThrow(HandlerTimeoutError);
    await expect(outcome).rejects.toThrow("Task timed out after 0.05 seconds");
  });

  it("passes the handler's own failure on, for the bus to retry", async () => {
    const failure = new Error("SES is throttling");

    const outcome = invokeWithDeadline(
      async () => {
        throw failure;
      },
      {},
      invocation,
    );

    await expect(outcome).rejects.toBe(failure);
  });

  it("fails a handler that throws before returning a promise like one that rejects", async () => {
    const outcome = invokeWithDeadline(
      () => {
        throw new TypeError("handler is not configured");
      },
      {},
      invocation,
    );

    await expect(outcome).rejects.toThrow("handler is not configured");
  });
});
