import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { expect } from "vitest";
import { RequestApproved } from "../../events/index.ts";
import { existingServicesPrincipal } from "../../infra/local/edge/principals.ts";
import { decide, decisionLinks, getRequest, submit, validRequest, waitForEmails } from "./flow.ts";
import type { StackUnderTest } from "./stack.ts";

/**
 * Driving a resource to its launcher on a running stack: the requester submits, the approver approves
 * from the email, and the bus may deliver the approval more than once.
 */

/** Submits `resource` as Ana and approves it from the approver's email link; resolves to the request id. */
export const submitAndApprove = async (
  stack: StackUnderTest,
  resource: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
) => {
  const submitted = await submit(stack, validRequest({ resource, ...overrides }));
  expect(submitted.status).toBe(202);
  const requestId = String(submitted.body.requestId);
  const [email] = await waitForEmails(stack, "approver@example.com", requestId);
  expect((await decide(decisionLinks(email as NonNullable<typeof email>).approve)).status).toBe(200);
  return requestId;
};

/**
 * Publishes the request's approval `copies` more times, exactly as the decision service published it
 * (from its timeline), signed as the stack's services: what an at-least-once bus may deliver.
 */
export const deliverApprovalAgain = async (stack: StackUnderTest, requestId: string, copies: number) => {
  const approved = await stack.eventually(
    () => getRequest(stack, requestId),
    (view) => view?.timeline.some((entry) => entry.type === RequestApproved.detailType) === true,
  );
  const approval = approved?.timeline.find((entry) => entry.type === RequestApproved.detailType);
  const entry = {
    EventBusName: "approvals",
    Source: RequestApproved.source,
    DetailType: RequestApproved.detailType,
    Detail: JSON.stringify(approval?.detail),
  };
  const client = new EventBridgeClient({
    endpoint: stack.edgeUrl,
    region: "us-east-1",
    credentials: await existingServicesPrincipal(stack.dataDir),
  });
  try {
    const published = await client.send(
      new PutEventsCommand({ Entries: Array.from({ length: copies }, () => entry) }),
    );
    expect(published.FailedEntryCount).toBe(0);
  } finally {
    client.destroy();
  }
};

/**
 * How many times `service` has logged `message` about the request. The services log JSON lines, at
 * INFO when the stack runs with POWERTOOLS_LOG_LEVEL=INFO: a handler's log is how a test knows it has
 * handled a delivery that changes nothing else.
 */
export const timesLogged = (stack: StackUnderTest, service: string, message: string, requestId: string) =>
  stack
    .output()
    .split("\n")
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        // Another process's text, or a line still being written.
        return [];
      }
    })
    .filter(
      (entry) => entry.service === service && entry.message === message && entry.requestId === requestId,
    ).length;
