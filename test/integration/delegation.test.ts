import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ANA,
  decide,
  decisionLinks,
  getRequest,
  type LocalUser,
  localUsersEnv,
  type RequestView,
  signedInAs,
  submit,
  validRequest,
  waitForEmails,
} from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

/**
 * Delegation on the whole local stack, under the default policy (one approval from the approvers
 * group: Avery and Alex): an approver away names a delegate, and requests whose stage starts
 * meanwhile ask the delegate instead, whose approval reads "on behalf of" the approver.
 */

const AVERY = "approver@example.com";
const ALEX = "approver2@example.com";
/** Not an approver at all: a delegate decides because someone asked them to. */
const DANA: LocalUser = { email: "dana@example.com", name: "Dana Deputy", groups: ["requesters"] };

let stack: StackUnderTest;

beforeAll(async () => {
  stack = await startStack({ env: localUsersEnv(DANA) });
});
afterAll(() => stack?.destroy());

const HOUR = 3_600_000;
const windowFromNow = (delegate: string, hours = 24) => ({
  from: new Date(Date.now() - HOUR).toISOString(),
  to: new Date(Date.now() + hours * HOUR).toISOString(),
  delegate,
});

const delegations = async (as: string, method: "GET" | "PUT" | "DELETE", body?: unknown) => {
  const response = await fetch(`${stack.portalUrl}/api/delegations/mine`, {
    method,
    headers: {
      ...(await signedInAs(stack, as)),
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

/** Waits until decision's own copy holds the approver's change (it travels on the bus). */
const waitForCopy = (approver: string, windows: number) =>
  stack.eventually(
    async () =>
      (
        await stack.dynamo.send(
          new GetItemCommand({ TableName: "decision-delegations", Key: { approver: { S: approver } } }),
        )
      ).Item,
    (item) => (item?.windows?.L?.length ?? -1) === windows,
  );

const submitRequest = async (as: string = ANA.email) => {
  const body = validRequest({ justification: "delegation test", requester: { email: as } });
  const submitted = await submit(stack, body, {}, as);
  expect(submitted.status).toBe(202);
  return String(submitted.body.requestId);
};

const entries = (view: RequestView | undefined, type: string) =>
  (view?.timeline ?? []).filter((entry) => entry.type === type);

const waitForTimeline = (requestId: string, type: string) =>
  stack.eventually(
    () => getRequest(stack, requestId),
    (view) => entries(view, type).length > 0,
  ) as Promise<RequestView>;

describe("an approver away, with a delegate", () => {
  it("asks the delegate in their place, whose approval decides the request on their behalf", async () => {
    const set = await delegations(AVERY, "PUT", windowFromNow(DANA.email));
    expect(set.status).toBe(200);
    expect((await delegations(AVERY, "GET")).body).toEqual({
      approver: AVERY,
      windows: [expect.objectContaining({ delegate: DANA.email })],
    });
    await waitForCopy(AVERY, 1);

    const requestId = await submitRequest();
    const started = await waitForTimeline(requestId, "ApprovalStageStarted");
    expect(entries(started, "ApprovalStageStarted")[0]?.detail.approvers).toEqual(
      expect.arrayContaining([{ email: DANA.email, onBehalfOf: AVERY }, { email: ALEX }]),
    );
    const [mail] = await waitForEmails(stack, DANA.email, requestId);
    expect(mail?.body.html).toContain(`on behalf of ${AVERY}`);

    expect((await decide(decisionLinks(mail as NonNullable<typeof mail>).approve)).status).toBe(200);

    const approved = await waitForTimeline(requestId, "RequestApproved");
    expect(entries(approved, "ApprovalVoteRecorded")[0]?.detail).toMatchObject({
      approver: DANA.email,
      onBehalfOf: AVERY,
    });
    const outcome = entries(approved, "RequestApproved")[0] as { summary?: string } | undefined;
    expect(outcome?.summary).toBe(`Request approved by ${DANA.email} on behalf of ${AVERY}`);

    expect((await delegations(AVERY, "DELETE")).body).toEqual({ approver: AVERY, windows: [] });
    await waitForCopy(AVERY, 0);
  });

  it("never asks a delegate about their own request: the approver stays asked", async () => {
    expect((await delegations(ALEX, "PUT", windowFromNow(DANA.email))).status).toBe(200);
    await waitForCopy(ALEX, 1);

    const requestId = await submitRequest(DANA.email);
    const started = await waitForTimeline(requestId, "ApprovalStageStarted");

    const asked = entries(started, "ApprovalStageStarted")[0]?.detail.approvers;
    expect(asked).toHaveLength(2);
    expect(asked).toEqual(expect.arrayContaining([{ email: AVERY }, { email: ALEX }]));
    expect((await delegations(ALEX, "DELETE")).status).toBe(200);
  });

  it("refuses a delegate who is away themselves, naming delegate: delegations do not chain", async () => {
    expect((await delegations(ALEX, "PUT", windowFromNow(AVERY))).status).toBe(200);

    const cycle = await delegations(AVERY, "PUT", windowFromNow(ALEX, 2));

    expect(cycle.status).toBe(400);
    expect(cycle.body.fieldErrors).toEqual([{ field: "delegate", message: expect.stringContaining("away") }]);
    expect((await delegations(AVERY, "GET")).body).toEqual({ approver: AVERY, windows: [] });
  });

  it("refuses a window that has ended, naming to", async () => {
    const ended = await delegations(AVERY, "PUT", {
      from: new Date(Date.now() - 2 * HOUR).toISOString(),
      to: new Date(Date.now() - HOUR).toISOString(),
      delegate: DANA.email,
    });

    expect(ended.status).toBe(400);
    expect(ended.body.fieldErrors).toEqual([{ field: "to", message: "must be in the future" }]);
  });
});
