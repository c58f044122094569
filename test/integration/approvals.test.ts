import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleRequestContent } from "../support/fixtures.ts";
import { decide, decisionLinks, signedInCaller, waitForEmails } from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

/**
 * Approvers deciding signed in, against the whole stack, with real access tokens from the local
 * OpenID Provider (signed in through its protocol, as the portal does).
 */

const REQUESTER = "requester@example.com";
const APPROVER = "approver@example.com";
const APPROVER2 = "approver2@example.com";
/** Both a requester and an approver: approval-mail never asks them about their own requests. */
const LEAD = "lead@example.com";

const LOCAL_USERS = JSON.stringify([
  { email: REQUESTER, name: "Rita Requester", groups: ["requesters"] },
  { email: APPROVER, name: "Abe Approver", groups: ["approvers"] },
  { email: APPROVER2, name: "Ada Approver", groups: ["approvers"] },
  { email: LEAD, name: "Lee Lead", groups: ["requesters", "approvers"] },
]);

const startApprovalsStack = (env: Record<string, string> = {}) =>
  startStack({ env: { LOCAL_USERS, ...env } });

type SignedIn = Awaited<ReturnType<typeof signedInCaller>>;

/** Submits a request as `requester` and waits until its approvers are asked. */
const submitAndWaitForApprovers = async (stack: StackUnderTest, requester: SignedIn, asked: SignedIn) => {
  // The access token says who asks: the body names no requester.
  const { requester: _named, ...request } = sampleRequestContent();
  const submitted = await requester.post("/api/requests", request);
  expect(submitted.status).toBe(202);
  const requestId = String(submitted.body.requestId);
  await stack.eventually(
    () => asked.get("/api/approvals"),
    ({ body }) =>
      ((body.items ?? []) as { requestId: string }[]).some((item) => item.requestId === requestId),
  );
  return requestId;
};

const statusOf = async (reader: SignedIn, requestId: string) =>
  (await reader.get(`/api/requests/${requestId}`)).body.status;

describe("the Approvals API, signed in", () => {
  let stack: StackUnderTest;
  let requester: SignedIn;
  let approver: SignedIn;
  let approver2: SignedIn;
  let lead: SignedIn;

  beforeAll(async () => {
    stack = await startApprovalsStack();
    requester = await signedInCaller(stack, REQUESTER);
    approver = await signedInCaller(stack, APPROVER);
    approver2 = await signedInCaller(stack, APPROVER2);
    lead = await signedInCaller(stack, LEAD);
  });
  afterAll(() => stack?.destroy());

  it("lists what awaits the approver, who approves it: the request is provisioned with them as its approver", async () => {
    const requestId = await submitAndWaitForApprovers(stack, requester, approver);
    const listed = await approver.get("/api/approvals");
    expect(listed.body.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ requestId, status: "PENDING_APPROVAL" })]),
    );

    const decided = await approver.post(`/api/approvals/${requestId}`, { action: "approve", reason: "Go" });

    expect(decided).toMatchObject({
      status: 200,
      body: { requestId, outcome: "APPROVED", approver: APPROVER, reason: "Go" },
    });
    await stack.eventually(
      () => statusOf(requester, requestId),
      (status) => status === "PROVISIONED",
    );
    const view = await requester.get(`/api/requests/${requestId}`);
    expect(view.body.decision).toMatchObject({ outcome: "APPROVED", approver: APPROVER });
    const stillListed = await approver.get("/api/approvals");
    expect((stillListed.body.items as { requestId: string }[]).map((item) => item.requestId)).not.toContain(
      requestId,
    );
  });

  it("refuses another approver's later decision (409), by the API and by their mailed link", async () => {
    const requestId = await submitAndWaitForApprovers(stack, requester, approver);
    const [mail] = await waitForEmails(stack, APPROVER2, requestId);

    const first = await approver.post(`/api/approvals/${requestId}`, { action: "reject", reason: "Too big" });
    const later = await approver2.post(`/api/approvals/${requestId}`, { action: "approve" });
    const byLink = await decide(decisionLinks(mail as NonNullable<typeof mail>).approve);

    expect(first.status).toBe(200);
    expect(later.status).toBe(409);
    expect(later.body.error).toContain(`It was rejected by ${APPROVER}`);
    expect(byLink.status).toBe(410);
    await stack.eventually(
      () => statusOf(requester, requestId),
      (status) => status === "REJECTED",
    );
  });

  it("refuses the requester deciding their own request (403), though they are an approver", async () => {
    const requestId = await submitAndWaitForApprovers(stack, lead, approver);

    const own = await lead.post(`/api/approvals/${requestId}`, { action: "approve" });

    expect(own.status).toBe(403);
    expect(own.body.error).toContain("You cannot decide your own request");
    expect(await statusOf(lead, requestId)).toBe("PENDING_APPROVAL");
    expect(
      ((await lead.get("/api/approvals")).body.items as { requestId: string }[]).map((i) => i.requestId),
    ).not.toContain(requestId);
  });

  it("answers 404 for a request the caller is not asked to decide, as for one that does not exist, and 403 to a requester", async () => {
    const requestId = await submitAndWaitForApprovers(stack, lead, approver);

    const requesterTries = await requester.post(`/api/approvals/${requestId}`, { action: "approve" });
    const unknown = await approver.post("/api/approvals/no-such-request", { action: "approve" });

    expect(requesterTries.status).toBe(403);
    expect(unknown.status).toBe(404);
  });
});

describe("links that require sign-in (DECISIONS_REQUIRE_SIGN_IN=true)", () => {
  let stack: StackUnderTest;
  let requester: SignedIn;
  let approver: SignedIn;
  let approver2: SignedIn;

  beforeAll(async () => {
    stack = await startApprovalsStack({ DECISIONS_REQUIRE_SIGN_IN: "true" });
    requester = await signedInCaller(stack, REQUESTER);
    approver = await signedInCaller(stack, APPROVER);
    approver2 = await signedInCaller(stack, APPROVER2);
  });
  afterAll(() => stack?.destroy());

  it("mails links whose token is in the fragment, which decide only for their own approver, signed in", async () => {
    const requestId = await submitAndWaitForApprovers(stack, requester, approver);
    const [mail] = await waitForEmails(stack, APPROVER, requestId);
    const links = [...(mail?.body.html ?? "").matchAll(/href="([^"]+)"/g)].map(
      (match) => new URL(match[1] ?? ""),
    );
    const approve = links.find((link) => link.hash.startsWith("#approve."));
    expect(approve?.pathname).toBe("/decide");
    expect(approve?.search).toBe("");
    expect(mail?.body.text).not.toContain("token=");
    const [action, ...tokenParts] = (approve?.hash ?? "").slice(1).split(".");
    const body = { action, token: tokenParts.join(".") };

    const previewByOther = await approver2.post("/api/link-decisions/preview", body);
    const byOther = await approver2.post("/api/link-decisions", body);
    const preview = await approver.post("/api/link-decisions/preview", body);
    const byOwn = await approver.post("/api/link-decisions", body);

    expect(previewByOther.status).toBe(403);
    expect(byOther.status).toBe(403);
    expect(preview).toMatchObject({
      status: 200,
      body: { requestId, action: "approve", approver: APPROVER },
    });
    expect(byOwn).toMatchObject({
      status: 200,
      body: { requestId, outcome: "APPROVED", approver: APPROVER },
    });
    await stack.eventually(
      () => statusOf(requester, requestId),
      (status) => status === "APPROVED" || status === "PROVISIONING" || status === "PROVISIONED",
    );
  });
});
