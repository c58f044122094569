import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleRequestContent } from "../support/fixtures.ts";
import { decide, decisionLinks, emailsTo, signedInCaller, waitForEmails } from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

/**
 * The requester withdrawing a pending request, against the whole stack: the request is CANCELLED,
 * the mailed links stop working, and each approver still asked hears of it once.
 */

const REQUESTER = "requester@example.com";
const APPROVER = "approver@example.com";
const APPROVER2 = "approver2@example.com";

const LOCAL_USERS = JSON.stringify([
  { email: REQUESTER, name: "Rita Requester", groups: ["requesters"] },
  { email: APPROVER, name: "Abe Approver", groups: ["approvers"] },
  { email: APPROVER2, name: "Ada Approver", groups: ["approvers"] },
]);

type SignedIn = Awaited<ReturnType<typeof signedInCaller>>;

describe("withdrawing a request", () => {
  let stack: StackUnderTest;
  let requester: SignedIn;
  let approver: SignedIn;
  let approver2: SignedIn;

  beforeAll(async () => {
    stack = await startStack({ env: { LOCAL_USERS } });
    [requester, approver, approver2] = await Promise.all([
      signedInCaller(stack, REQUESTER),
      signedInCaller(stack, APPROVER),
      signedInCaller(stack, APPROVER2),
    ]);
  });
  afterAll(() => stack?.destroy());

  /** Submits a request as the requester and waits until both approvers have its email. */
  const submitAndWaitForMail = async () => {
    const { requester: _named, ...request } = sampleRequestContent();
    const submitted = await requester.post("/api/requests", request);
    expect(submitted.status).toBe(202);
    const requestId = String(submitted.body.requestId);
    const [mail] = await waitForEmails(stack, APPROVER, requestId);
    await waitForEmails(stack, APPROVER2, requestId);
    return { requestId, links: decisionLinks(mail as NonNullable<typeof mail>) };
  };

  const statusOf = async (requestId: string) =>
    (await requester.get(`/api/requests/${requestId}`)).body.status;

  it("cancels the request: its links answer 410, each approver still asked gets one closure email, the requester a confirmation", async () => {
    const { requestId, links } = await submitAndWaitForMail();

    const byOther = await approver2.post(`/api/requests/${requestId}/withdraw`, {});
    const withdrawn = await requester.post(`/api/requests/${requestId}/withdraw`, {
      reason: "Found a spare box",
    });
    const again = await requester.post(`/api/requests/${requestId}/withdraw`);

    expect(byOther.status).toBe(404);
    expect(withdrawn).toEqual({ status: 200, body: { requestId, status: "CANCELLED" } });
    expect(again.status).toBe(409);
    expect(String(again.body.error)).toContain("CANCELLED");
    await stack.eventually(
      () => statusOf(requestId),
      (status) => status === "CANCELLED",
    );
    const view = await requester.get(`/api/requests/${requestId}`);
    expect(view.body.decision).toMatchObject({
      outcome: "CANCELLED",
      approver: REQUESTER,
      reason: "Found a spare box",
    });

    const byLink = await decide(links.approve);
    expect(byLink.status).toBe(410);
    expect(byLink.html).toContain("This request was withdrawn by its requester");

    const confirmation = await waitForEmails(stack, REQUESTER, `You withdrew request ${requestId}`);
    expect(confirmation).toHaveLength(1);
    for (const email of [APPROVER, APPROVER2]) {
      const [, closure] = await waitForEmails(stack, email, requestId, 2);
      expect(closure?.subject).toBe(`Request ${requestId} was withdrawn: nothing for you to do`);
      expect(closure?.body.text).toContain(
        `was withdrawn by its requester, ${REQUESTER} (Found a spare box)`,
      );
    }
    // One each: a closure already sent is not sent again, whatever else arrives.
    expect(await emailsTo(stack, APPROVER, requestId)).toHaveLength(2);
  });

  it("races an approval: exactly one of the withdrawal and the approval wins", async () => {
    const { requestId } = await submitAndWaitForMail();

    const [withdrawn, approved] = await Promise.all([
      requester.post(`/api/requests/${requestId}/withdraw`),
      approver.post(`/api/approvals/${requestId}`, { action: "approve" }),
    ]);

    expect([withdrawn.status, approved.status].sort()).toEqual([200, 409]);
    const settled = withdrawn.status === 200 ? "CANCELLED" : "PROVISIONED";
    await stack.eventually(
      () => statusOf(requestId),
      (status) => status === settled,
    );
  });
});
