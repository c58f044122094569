import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ANA,
  decide,
  decisionLinks,
  emailsTo,
  getRequest,
  type LocalUser,
  localUsersEnv,
  OPERATOR_EMAIL,
  type RequestView,
  submit,
  validRequest,
  waitForEmails,
  waitForStatus,
} from "../support/flow.ts";
import { type MailboxEmail, type StackUnderTest, startStack } from "../support/stack.ts";

/**
 * Requests decided by approval policies on the whole local stack: the policy file routes each request
 * by its justification's prefix (test/fixtures/policies/quorum-and-stages.json).
 */

const POLICY_FILE = fileURLToPath(new URL("../fixtures/policies/quorum-and-stages.json", import.meta.url));

const APPROVER = "approver@example.com";
const APPROVER2 = "approver2@example.com";
const CASEY: LocalUser = { email: "approver3@example.com", name: "Casey Approver", groups: ["approvers"] };
/** Everyone in the group "approvers" (Ana, the requester, is not). */
const APPROVERS_GROUP = [APPROVER, APPROVER2, CASEY.email];
const EVERYONE_BUT_ANA = [...APPROVERS_GROUP, OPERATOR_EMAIL];

let stack: StackUnderTest;

beforeAll(async () => {
  stack = await startStack({
    env: {
      APPROVAL_POLICIES: POLICY_FILE,
      // Ana, who asks, is an approver too: she is never asked about her own requests.
      ...localUsersEnv(CASEY, { ...ANA, groups: ["requesters", "approvers"] }),
    },
  });
});
afterAll(() => stack?.destroy());

const submitWith = async (justification: string) => {
  const submitted = await submit(stack, validRequest({ justification }));
  expect(submitted.status).toBe(202);
  return String(submitted.body.requestId);
};

/** The approval email `approver` got for the request (its links), once it arrives. */
const linksOf = async (requestId: string, approver: string) => {
  const [email] = await waitForEmails(stack, approver, requestId);
  return decisionLinks(email as NonNullable<typeof email>);
};

const entries = (view: RequestView | undefined, type: string) =>
  (view?.timeline ?? []).filter((entry) => entry.type === type);

/** The request once its timeline holds `type`. */
const waitForTimeline = (requestId: string, type: string) =>
  stack.eventually(
    () => getRequest(stack, requestId),
    (view) => entries(view, type).length > 0,
  ) as Promise<RequestView>;

const isApprovalMail = (email: MailboxEmail) => /\/decisions\/approve/.test(email.body.html ?? "");

/** Emails about the request with approve/reject links to `addresses`: approval mail, as opposed to notices. */
const approvalMailAbout = async (requestId: string, addresses = [...EVERYONE_BUT_ANA, ANA.email]) =>
  (await Promise.all(addresses.map((address) => emailsTo(stack, address, requestId))))
    .flat()
    .filter(isApprovalMail);

describe("requests a policy decides at once", () => {
  it("auto-approves a harmless request by policy, without any approval mail", async () => {
    const requestId = await submitWith("auto: a tiny dev box");

    const view = await waitForTimeline(requestId, "RequestApproved");

    expect(entries(view, "RequestApproved")[0]?.detail).toMatchObject({
      approver: "policy:harmless",
      reason: "harmless test request",
    });
    expect(await approvalMailAbout(requestId)).toEqual([]);
  });

  it("denies a forbidden request by policy, without any approval mail", async () => {
    const requestId = await submitWith("deny: please");

    const view = await waitForStatus(stack, requestId, "REJECTED");

    expect(entries(view, "RequestRejected")[0]?.detail).toMatchObject({
      approver: "policy:forbidden",
      reason: "not allowed in tests",
    });
    expect(await approvalMailAbout(requestId)).toEqual([]);
  });

  it("refuses at once a request whose quorum nobody can reach, saying why", async () => {
    const requestId = await submitWith("board: nobody sits on it");

    const view = await waitForTimeline(requestId, "RequestRejected");

    expect(entries(view, "RequestRejected")[0]?.detail).toMatchObject({
      approver: "policy:board",
      reason: "needs 2 approvals from the board but only 0 people can give them",
    });
    expect(await approvalMailAbout(requestId)).toEqual([]);
  });
});

describe("requests that wait for approvals", () => {
  it("counts each of many concurrent approvals once: a quorum of two is met once, by two people", async () => {
    const requestId = await submitWith("routine: a pair decides");
    const links = await Promise.all(APPROVERS_GROUP.map((approver) => linksOf(requestId, approver)));

    // Every approver presses their link twice, all at once.
    const presses = await Promise.all(links.flatMap(({ approve }) => [decide(approve), decide(approve)]));

    expect(presses.filter((press) => press.status === 200)).toHaveLength(2);
    expect(presses.every((press) => [200, 409, 410].includes(press.status))).toBe(true);
    const view = await waitForTimeline(requestId, "RequestApproved");
    expect(entries(view, "RequestApproved")).toHaveLength(1);
    const approvals = entries(view, "RequestApproved")[0]?.detail.approvals as { approver: string }[];
    expect(approvals).toHaveLength(2);
    expect(new Set(approvals.map(({ approver }) => approver)).size).toBe(2);
  });

  it("runs two stages in order, never asking again anyone who approved in the first", async () => {
    const requestId = await submitWith("two-stages: a big one");
    const [first, second] = await Promise.all([linksOf(requestId, APPROVER), linksOf(requestId, APPROVER2)]);

    expect((await decide(first?.approve ?? "")).status).toBe(200);
    expect(entries(await getRequest(stack, requestId), "RequestApproved")).toEqual([]);
    expect((await decide(second?.approve ?? "")).status).toBe(200);
    const finance = await linksOf(requestId, OPERATOR_EMAIL);
    // Casey, asked in the first stage, is asked again for finance; the two who approved are not.
    await stack.eventually(
      () => approvalMailAbout(requestId, [CASEY.email]),
      (emails) => emails.length === 2,
    );
    expect(await approvalMailAbout(requestId, [APPROVER, APPROVER2])).toHaveLength(2);
    expect((await decide(finance.approve)).status).toBe(200);

    const view = await waitForTimeline(requestId, "RequestApproved");
    expect(entries(view, "RequestApproved")[0]?.detail).toMatchObject({
      approver: OPERATOR_EMAIL,
      approvals: [
        { stage: 0, approver: APPROVER },
        { stage: 0, approver: APPROVER2 },
        { stage: 1, approver: OPERATOR_EMAIL },
      ],
    });
  });

  it('waits for every member of the group when the quorum is "all"', async () => {
    const requestId = await submitWith("all: everyone agrees");
    const links = await Promise.all(APPROVERS_GROUP.map((approver) => linksOf(requestId, approver)));

    for (const { approve } of links.slice(0, 2)) expect((await decide(approve)).status).toBe(200);
    expect((await getRequest(stack, requestId))?.status).toBe("PENDING_APPROVAL");
    expect((await decide(links[2]?.approve ?? "")).status).toBe(200);

    const view = await waitForTimeline(requestId, "RequestApproved");
    expect(entries(view, "RequestApproved")[0]?.detail.approvals).toHaveLength(3);
  });

  it("never asks the requester, even when they are in the stage's group", async () => {
    const requestId = await submitWith("routine: asked of others");
    await linksOf(requestId, APPROVER);

    expect(await approvalMailAbout(requestId, [ANA.email])).toEqual([]);
  });
});
