import "../../../test/support/service-environment.ts";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalRequested } from "../../../events/approval-requested.ts";
import { RequestApproved } from "../../../events/request-approved.ts";
import { localLambdaContext } from "../../../infra/local/lambda-context.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { manualClock, silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf, sampleRequest } from "../../../test/support/fixtures.ts";
import { recordingPublisher } from "../../../test/support/recording-publisher.ts";
import { recordingSchedules } from "../../../test/support/recording-schedules.ts";
import { createDecisionToken, type DecisionAction, hashToken } from "../../shared/decision-token.ts";
import { type IssuedLinks, issueLinks, TEST_KEY } from "../../shared/testing/decision-tokens.ts";
import { grantKey } from "../domain.ts";
import { createDecisionApp } from "../http.ts";
import { createOutboxPublisher } from "../outbox.ts";
import { type ApprovalStore, createApprovalStore } from "../store.ts";
import { approvalsTable } from "../tables.ts";
import { approvalRequestedFor, approversDirectory, outcomesOn } from "../testing/approvals.ts";
import { createOnApprovalRequestedHandler } from "./on-approval-requested.ts";

const APPROVERS = ["bob@example.com", "cy@example.com"];
const OWN_FORM = { "sec-fetch-site": "same-origin", origin: "null" };

let dynamo: TestDynamo;
let store: ApprovalStore;

beforeAll(async () => {
  dynamo = await startTestDynamo([approvalsTable]);
  store = createApprovalStore(approvalsTable.id, dynamo.document);
});
afterAll(() => dynamo.close());

/** The decision pages and the ApprovalRequested handler of one request, around the real table. */
const setUp = (requestId: string) => {
  const clock = manualClock();
  const recording = recordingPublisher();
  const bus = outcomesOn(recording);
  const publishOwed = createOutboxPublisher({
    publisher: recording,
    schedules: recordingSchedules(),
    store,
    now: clock.now,
  });
  const directory = approversDirectory(APPROVERS);
  const app = createDecisionApp({
    store,
    publishOwed,
    hmacKey: async () => TEST_KEY,
    now: clock.now,
    publicUrl: "http://localhost:3000",
    directory,
    decisionsRequireSignIn: false,
    logger: silentLogger(),
  });
  const handler = createOnApprovalRequestedHandler({
    store,
    directory,
    publishOwed,
    now: clock.now,
    logger: silentLogger(),
  });
  const request = sampleRequest({ requestId });
  const expiresAt = new Date(clock.now().getTime() + 3600_000);
  const links = issueLinks({ requestId, approvers: APPROVERS, expiresAt });
  const announce = (announced: IssuedLinks = links) =>
    (handler as unknown as (event: unknown, context: Context) => Promise<void>)(
      envelopeOf(
        ApprovalRequested,
        approvalRequestedFor({ request, links: announced, expiresAt, requestedAt: clock.now() }),
      ),
      localLambdaContext("decision-on-approval-requested", "us-east-1", "000000000000"),
    );
  const open = (action: DecisionAction, token: string) =>
    app.request(`/decisions/${action}?token=${encodeURIComponent(token)}`);
  const press = (action: DecisionAction, token: string, reason = "A reason") =>
    app.request(`/decisions/${action}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...OWN_FORM },
      body: new URLSearchParams({ token, reason, confirm: action }).toString(),
    });
  /** A link for bob signed with the key, as approval-mail would, but never announced. */
  const unannouncedLink = (action: DecisionAction) =>
    createDecisionToken({ requestId, action, approver: "bob@example.com", expiresAt }, TEST_KEY, (size) =>
      Buffer.alloc(size, 99),
    );
  const bobs = links["bob@example.com"] as Record<DecisionAction, string>;
  const cys = links["cy@example.com"] as Record<DecisionAction, string>;
  const stored = () => store.get(requestId);
  return { clock, bus, request, expiresAt, links, bobs, cys, announce, open, press, unannouncedLink, stored };
};

describe("decision on ApprovalRequested", () => {
  it("records the pending approval with the announced links, once however often it is delivered", async () => {
    const { announce, stored, bobs, request } = setUp("requested-once");

    await announce();
    const first = await stored();
    await announce();

    expect(first).toMatchObject({ status: "PENDING", request, approvers: APPROVERS, sweepTask: "EXPIRE" });
    expect(await stored()).toEqual(first);
    expect((first as { grants: Set<string> }).grants).toContain(
      grantKey("bob@example.com", "approve", hashToken(bobs.approve)),
    );
  });

  it("merges the fresh links of a retried mailing, in either order: old and new links both decide", async () => {
    const { announce, open, press, bus, links, cys, request, expiresAt } = setUp("requested-merge");
    const freshReject = createDecisionToken(
      { requestId: request.requestId, action: "reject", approver: "cy@example.com", expiresAt },
      TEST_KEY,
      (size) => Buffer.alloc(size, 42),
    );

    await announce({ ...links, "cy@example.com": { approve: cys.approve, reject: freshReject } });
    await announce(links);

    expect((await open("reject", cys.reject)).status).toBe(200);
    expect((await open("reject", freshReject)).status).toBe(200);
    expect((await press("reject", freshReject, "Too big")).status).toBe(200);
    expect(bus.published.map((event) => event.detailType)).toEqual(["RequestRejected"]);
  });
});

describe("a decision made before ApprovalRequested arrives", () => {
  it("shows the confirmation page from the link alone, changing nothing", async () => {
    const { open, stored, bus, bobs } = setUp("early-shown");

    const response = await open("approve", bobs.approve);

    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain("early-shown");
    expect(page).toContain("bob@example.com");
    expect(page).toMatch(/<button type="submit" name="confirm" value="approve"/);
    expect(await stored()).toBeUndefined();
    expect(bus.published).toHaveLength(0);
  });

  it("is recorded at once and published, with the request, when ApprovalRequested arrives; once", async () => {
    const { press, announce, stored, bus, bobs, request, clock } = setUp("early-settled");

    const pressed = await press("approve", bobs.approve, "Fine by me");
    const beforeArrival = bus.published.length;
    await announce();
    await announce();

    expect(pressed.status).toBe(200);
    expect(await pressed.text()).toContain("Request early-settled approved");
    expect(beforeArrival).toBe(0);
    expect(bus.detailsOf(RequestApproved)).toEqual([
      {
        requestId: "early-settled",
        request,
        approver: "bob@example.com",
        reason: "Fine by me",
        decidedAt: clock.now().toISOString(),
        approvals: [{ stage: 0, approver: "bob@example.com", decidedAt: clock.now().toISOString() }],
      },
    ]);
    expect(bus.published).toHaveLength(1);
    expect(await stored()).toMatchObject({
      status: "DECIDED",
      outcomePublishedAt: clock.now().toISOString(),
    });
  });

  it("lets only the first of two early decisions win; the other link then gets 410", async () => {
    const { press, announce, bus, bobs, cys } = setUp("early-race");

    const responses = await Promise.all([press("approve", bobs.approve), press("reject", cys.reject, "No")]);
    await announce();

    expect(responses.map((response) => response.status).sort()).toEqual([200, 410]);
    expect(bus.published).toHaveLength(1);
  });

  it.each(["early-racing-1", "early-racing-2", "early-racing-3"])(
    "lets exactly one of an early decision and a decision racing ApprovalRequested win (%s)",
    async (requestId) => {
      const { press, announce, bus, bobs, cys, stored } = setUp(requestId);

      const [early, , normal] = await Promise.all([
        press("approve", bobs.approve),
        announce(),
        press("reject", cys.reject, "No"),
      ]);
      await announce();

      expect([early.status, normal.status].sort()).toEqual([200, 410]);
      expect(bus.published).toHaveLength(1);
      expect(await stored()).toMatchObject({ status: "DECIDED" });
    },
  );

  it("waits when its link is not announced yet: the approval stays pending, nothing is published, and a later decision still decides", async () => {
    const { press, announce, stored, bus, unannouncedLink, bobs } = setUp("early-waiting");

    expect((await press("approve", unannouncedLink("approve"))).status).toBe(200);
    await announce();

    expect(await stored()).toMatchObject({
      status: "PENDING",
      awaitingDecision: { approver: "bob@example.com", action: "approve" },
    });
    expect(bus.published).toHaveLength(0);
    expect((await press("reject", bobs.reject, "Too big")).status).toBe(200);
    expect(bus.published.map((event) => event.detailType)).toEqual(["RequestRejected"]);
  });

  it("stands once a retried mailing's announcement of its fresh link arrives after the first one", async () => {
    const { press, announce, stored, bus, unannouncedLink, bobs, cys } = setUp("early-reordered");
    const freshLink = unannouncedLink("approve");

    expect((await press("approve", freshLink)).status).toBe(200);
    await announce(); // the first mailing's announcement: the fresh link is not in it
    await announce({ "bob@example.com": { approve: freshLink, reject: bobs.reject }, "cy@example.com": cys });
    await announce({ "bob@example.com": { approve: freshLink, reject: bobs.reject }, "cy@example.com": cys });

    expect(await stored()).toMatchObject({ status: "DECIDED", decision: { approver: "bob@example.com" } });
    expect(bus.published.map((event) => event.detailType)).toEqual(["RequestApproved"]);
  });

  it("lets exactly one of concurrent presses of the same link decide, once the approval is recorded", async () => {
    const { press, announce, bus, bobs } = setUp("same-link-race");
    await announce();

    const responses = await Promise.all([1, 2, 3].map(() => press("approve", bobs.approve)));

    expect(responses.map((response) => response.status).sort()).toEqual([200, 410, 410]);
    expect(bus.published.map((event) => event.detailType)).toEqual(["RequestApproved"]);
  });

  it("leaves a lost publish to the sweeper", async () => {
    const { press, announce, stored, bus, bobs } = setUp("early-publish-lost");

    await press("approve", bobs.approve);
    bus.failNext();
    await announce();

    expect(await stored()).toMatchObject({ status: "DECIDED", sweepTask: "PUBLISH" });
    expect(bus.published).toHaveLength(0);
  });
});
