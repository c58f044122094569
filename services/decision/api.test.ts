import "../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AcceptedRequest } from "../../events/request.ts";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { manualClock, silentLogger } from "../../test/support/fakes.ts";
import { sampleRequest } from "../../test/support/fixtures.ts";
import { recordingPublisher } from "../../test/support/recording-publisher.ts";
import { recordingSchedules } from "../../test/support/recording-schedules.ts";
import {
  startTestIdentityProvider,
  type TestIdentityProvider,
  type TestUser,
} from "../shared/testing/access-tokens.ts";
import { issueLinks, TEST_KEY } from "../shared/testing/decision-tokens.ts";
import { createDecisionApi } from "./api.ts";
import { createDecisionApp } from "./http.ts";
import { createOutboxPublisher } from "./outbox.ts";
import { type ApprovalStore, createApprovalStore } from "./store.ts";
import { approvalsTable } from "./tables.ts";
import { approversDirectory, outcomesOn, seedPendingApproval } from "./testing/approvals.ts";

const BOB: TestUser = { email: "bob@example.com", name: "Bob", groups: ["approvers"] };
const CY: TestUser = { email: "cy@example.com", name: "Cy", groups: ["approvers"] };
/** A requester who is an approver too: approval-mail never asks them about their own request. */
const ANA: TestUser = { email: "Ana@Example.com", name: "Ana", groups: ["requesters", "approvers"] };

let dynamo: TestDynamo;
let store: ApprovalStore;
let idp: TestIdentityProvider;

beforeAll(async () => {
  dynamo = await startTestDynamo([approvalsTable]);
  store = createApprovalStore(approvalsTable.id, dynamo.document);
  idp = await startTestIdentityProvider();
});
afterAll(() => dynamo.close());

const setUp = async ({
  requestId,
  request = sampleRequest({ requestId, requester: { email: "ana@example.com", name: "Ana" } }),
  approvers = ["bob@example.com", "cy@example.com"],
  currentApprovers = [...approvers, "ana@example.com"],
  seed = true,
}: {
  requestId: string;
  request?: AcceptedRequest;
  approvers?: string[];
  currentApprovers?: string[];
  /** Whether the request's ApprovalRequested has reached decision. */
  seed?: boolean;
}) => {
  const clock = manualClock();
  const recording = recordingPublisher();
  const bus = outcomesOn(recording);
  const publishOwed = createOutboxPublisher({
    publisher: recording,
    schedules: recordingSchedules(),
    store,
    now: clock.now,
  });
  const shared = {
    store,
    publishOwed,
    directory: approversDirectory(currentApprovers),
    hmacKey: async () => TEST_KEY,
    now: clock.now,
    logger: silentLogger(),
  };
  const api = createDecisionApi({
    ...shared,
    verifyAccessToken: idp.verifyAccessToken,
  });
  const pages = createDecisionApp({
    ...shared,
    publicUrl: "http://localhost:3000",
    decisionsRequireSignIn: false,
  });
  const expiresAt = new Date(clock.now().getTime() + 3600_000);
  const links = seed
    ? await seedPendingApproval(store, { request, approvers, createdAt: clock.now(), expiresAt })
    : {};
  const post = async (path: string, user: TestUser, body: unknown) =>
    api.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...(await idp.authorizationOf(user)) },
      body: JSON.stringify(body),
    });
  const decideAs = (user: TestUser, body: unknown, id = requestId) =>
    post(`/api/approvals/${id}`, user, body);
  const linkOf = (approver: string, action: "approve" | "reject" = "approve") => {
    const token = links[approver]?.[action];
    if (!token) throw new Error(`No ${action} link for ${approver}`);
    return { action, token };
  };
  const pressLink = (token: string) =>
    pages.request("/decisions/approve", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
      body: new URLSearchParams({ token, confirm: "approve" }).toString(),
    });
  return { api, bus, clock, links, post, decideAs, linkOf, pressLink, stored: () => store.get(requestId) };
};

const errorOf = async (response: Response) => ((await response.json()) as { error: string }).error;

describe("deciding signed in (POST /api/approvals/{requestId})", () => {
  it("approves as the signed-in approver: the outcome names them and the item records who they are", async () => {
    const { decideAs, bus, stored, clock } = await setUp({ requestId: "api-approve" });

    const response = await decideAs(
      { ...BOB, email: "Bob@Example.com" },
      { action: "approve", reason: "Fine" },
    );

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      requestId: "api-approve",
      outcome: "APPROVED",
      approver: "Bob@Example.com",
      reason: "Fine",
      decidedAt: clock.now().toISOString(),
    });
    expect(bus.published).toEqual([
      expect.objectContaining({
        detailType: "RequestApproved",
        detail: expect.objectContaining({
          requestId: "api-approve",
          approver: "Bob@Example.com",
          reason: "Fine",
        }),
      }),
    ]);
    expect(await stored()).toMatchObject({
      status: "DECIDED",
      decision: { action: "approve", approver: "Bob@Example.com", approverSubject: "sub-bob@example.com" },
    });
  });

  it("rejects with the approver's reason, and asks for one (400 naming reason) when there is none", async () => {
    const { decideAs, bus } = await setUp({ requestId: "api-reject" });

    const without = await decideAs(BOB, { action: "reject", reason: "  " });
    const withReason = await decideAs(BOB, { action: "reject", reason: "Too big" });

    expect(without.status).toBe(400);
    expect(await without.json()).toMatchObject({ fieldErrors: [{ field: "reason" }] });
    expect(withReason.status).toBe(200);
    expect(bus.published.map((event) => event.detailType)).toEqual(["RequestRejected"]);
  });

  it("answers 404 to an approver the request was not sent to, as to a request that does not exist", async () => {
    const { decideAs, bus, stored } = await setUp({
      requestId: "api-not-asked",
      approvers: ["bob@example.com"],
      currentApprovers: ["bob@example.com", "cy@example.com"],
    });

    const notAsked = await decideAs(CY, { action: "approve" });
    const unknown = await decideAs(BOB, { action: "approve" }, "no-such-request");

    expect(notAsked.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(await errorOf(notAsked)).toBe(await errorOf(unknown));
    expect(bus.published).toHaveLength(0);
    expect(await stored()).toMatchObject({ status: "PENDING" });
  });

  it("refuses the requester deciding their own request (403), whatever the case of their email", async () => {
    const { decideAs, bus, stored } = await setUp({ requestId: "api-self" });

    const response = await decideAs(ANA, { action: "approve" });

    expect(response.status).toBe(403);
    expect(await errorOf(response)).toContain("You cannot decide your own request");
    expect(bus.published).toHaveLength(0);
    expect(await stored()).toMatchObject({ status: "PENDING" });
  });

  it.each([
    ["in another case", "api-self-case", "Approver@Example.com", "approver@example.com"],
    ["plus-addressed", "api-self-plus", "approver+me@example.com", "approver@example.com"],
    ["with dots Gmail ignores", "api-self-gmail", "a.p.p.r.o.v.e.r@gmail.com", "approver@gmail.com"],
  ])(
    "refuses (403) the approver whose request it is, their address typed %s",
    async (_case, requestId, requesterEmail, approverEmail) => {
      const { decideAs, bus, stored } = await setUp({
        requestId,
        request: sampleRequest({ requestId, requester: { email: requesterEmail } }),
        approvers: [approverEmail, "cy@example.com"],
      });

      const response = await decideAs({ email: approverEmail, groups: ["approvers"] }, { action: "approve" });

      expect(response.status).toBe(403);
      expect(await errorOf(response)).toContain("You cannot decide your own request");
      expect(bus.published).toHaveLength(0);
      expect(await stored()).toMatchObject({ status: "PENDING" });
    },
  );

  it("refuses (403) an approver signed in with another email than they asked with, by their subject", async () => {
    const requestId = "api-self-subject";
    const { decideAs, bus, stored } = await setUp({
      requestId,
      // Bob asked under an older address; the provider's id of him is the same.
      request: sampleRequest({
        requestId,
        requester: { email: "robert@example.com", subject: "sub-bob@example.com" },
      }),
    });

    const response = await decideAs(BOB, { action: "approve" });

    expect(response.status).toBe(403);
    expect(await errorOf(response)).toContain("You cannot decide your own request");
    expect(bus.published).toHaveLength(0);
    expect(await stored()).toMatchObject({ status: "PENDING" });
  });

  it("refuses a later decision (409) in the link pages' words, the first one standing", async () => {
    const { decideAs, bus, stored } = await setUp({ requestId: "api-twice" });

    const first = await decideAs(BOB, { action: "approve" });
    const second = await decideAs(CY, { action: "reject", reason: "No" });

    expect(first.status).toBe(200);
    expect(second.status).toBe(409);
    expect(await errorOf(second)).toBe(
      "This request has already been decided. It was approved by bob@example.com. Each request is decided once.",
    );
    expect(bus.published).toHaveLength(1);
    expect(await stored()).toMatchObject({ decision: { approver: "bob@example.com", action: "approve" } });
  });

  it("refuses once the deadline has passed (409), deciding nothing", async () => {
    const { decideAs, clock, bus, stored } = await setUp({ requestId: "api-expired" });
    clock.advance(3600);

    const response = await decideAs(BOB, { action: "approve" });

    expect(response.status).toBe(409);
    expect(await errorOf(response)).toContain("expired");
    expect(bus.published).toHaveLength(0);
    expect(await stored()).toMatchObject({ status: "PENDING" });
  });

  it("refuses an approver the deployment no longer lists (403)", async () => {
    const { decideAs, stored } = await setUp({
      requestId: "api-removed",
      currentApprovers: ["cy@example.com"],
    });

    const response = await decideAs(BOB, { action: "approve" });

    expect(response.status).toBe(403);
    expect(await errorOf(response)).toContain("You are no longer an approver");
    expect(await stored()).toMatchObject({ status: "PENDING" });
  });

  it("admits only signed-in approvers: 401 without a token, 403 for a requester", async () => {
    const { api, decideAs } = await setUp({ requestId: "api-admission" });

    const anonymous = await api.request("/api/approvals/api-admission", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "approve" }),
    });
    const requester = await decideAs(
      { email: "ana@example.com", groups: ["requesters"] },
      { action: "approve" },
    );

    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(requester.status).toBe(403);
  });

  it("lets exactly one of a signed-in decision and a link's, made at once, win", async () => {
    const { decideAs, pressLink, linkOf, bus, stored } = await setUp({ requestId: "api-race" });

    const [signedIn, byLink] = await Promise.all([
      decideAs(BOB, { action: "reject", reason: "No" }),
      pressLink(linkOf("cy@example.com").token),
    ]);

    // The loser answers as its own channel does: the API with 409, the link page with 410.
    expect([signedIn.status, byLink.status]).toEqual(signedIn.status === 200 ? [200, 410] : [409, 200]);
    expect(bus.published).toHaveLength(1);
    const winner = signedIn.status === 200 ? "bob@example.com" : "cy@example.com";
    expect(await stored()).toMatchObject({ status: "DECIDED", decision: { approver: winner } });
  });
});

describe("deciding with a link, signed in as its approver (POST /api/link-decisions)", () => {
  it("previews what the link decides, then decides it, recording the approver's subject", async () => {
    const { post, linkOf, bus, stored } = await setUp({ requestId: "link-own" });
    const link = linkOf("bob@example.com");

    const preview = await post("/api/link-decisions/preview", BOB, link);
    const decided = await post("/api/link-decisions", BOB, { ...link, reason: "Go" });

    expect(preview.status).toBe(200);
    expect(await preview.json()).toMatchObject({
      requestId: "link-own",
      action: "approve",
      approver: "bob@example.com",
      request: { requestId: "link-own", resource: { name: "build-box" } },
    });
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({
      outcome: "APPROVED",
      approver: "bob@example.com",
      reason: "Go",
    });
    expect(bus.published).toHaveLength(1);
    expect(await stored()).toMatchObject({ decision: { approverSubject: "sub-bob@example.com" } });
  });

  it("refuses the requester's own subject (403), on the preview and the decision, though the link is theirs", async () => {
    const requestId = "link-self-subject";
    const { post, linkOf, bus, stored } = await setUp({
      requestId,
      request: sampleRequest({
        requestId,
        requester: { email: "robert@example.com", subject: "sub-bob@example.com" },
      }),
    });
    const bobsLink = linkOf("bob@example.com");

    const preview = await post("/api/link-decisions/preview", BOB, bobsLink);
    const decided = await post("/api/link-decisions", BOB, bobsLink);

    expect(preview.status).toBe(403);
    expect(decided.status).toBe(403);
    expect(await errorOf(decided)).toContain("You cannot decide your own request");
    expect(bus.published).toHaveLength(0);
    expect(await stored()).toMatchObject({ status: "PENDING" });
  });

  it("refuses another approver's link (403), on the preview and the decision", async () => {
    const { post, linkOf, bus, stored } = await setUp({ requestId: "link-other" });
    const bobsLink = linkOf("bob@example.com");

    const preview = await post("/api/link-decisions/preview", CY, bobsLink);
    const decided = await post("/api/link-decisions", CY, bobsLink);

    expect(preview.status).toBe(403);
    expect(decided.status).toBe(403);
    expect(await errorOf(decided)).toContain("sent to another approver");
    expect(bus.published).toHaveLength(0);
    expect(await stored()).toMatchObject({ status: "PENDING" });
  });

  it("checks the token as the link pages do: a tampered one is not valid (403), an expired one 409", async () => {
    const { post, linkOf, clock } = await setUp({ requestId: "link-checks" });
    const link = linkOf("bob@example.com");

    const tampered = await post("/api/link-decisions", BOB, { ...link, token: `${link.token}x` });
    const asReject = await post("/api/link-decisions", BOB, { ...link, action: "reject", reason: "No" });
    clock.advance(3600);
    const expired = await post("/api/link-decisions", BOB, link);

    expect(tampered.status).toBe(403);
    expect(await errorOf(tampered)).toContain("This link is not valid");
    expect(asReject.status).toBe(403);
    expect(expired.status).toBe(409);
    expect(await errorOf(expired)).toContain("This link has expired");
  });

  it("records a link's decision early when the request's ApprovalRequested has not arrived yet", async () => {
    const { post, stored, clock } = await setUp({ requestId: "link-early", seed: false });
    const bobs = issueLinks({
      requestId: "link-early",
      approvers: ["bob@example.com"],
      expiresAt: new Date(clock.now().getTime() + 3600_000),
    })["bob@example.com"];

    const response = await post("/api/link-decisions", BOB, { action: "approve", token: bobs?.approve });

    expect(response.status).toBe(200);
    expect(await stored()).toMatchObject({
      status: "DECIDED_EARLY",
      decision: { approver: "bob@example.com", approverSubject: "sub-bob@example.com" },
    });
  });
});
