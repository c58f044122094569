import "../../test/support/service-environment.ts";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestAccepted } from "../../events/request-accepted.ts";
import { RequestCancelled } from "../../events/request-cancelled.ts";
import { localLambdaContext } from "../../infra/local/lambda-context.ts";
import { loadPolicies } from "../../policy/index.ts";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { manualClock, silentLogger } from "../../test/support/fakes.ts";
import { envelopeOf, sampleRequest } from "../../test/support/fixtures.ts";
import { recordingPublisher } from "../../test/support/recording-publisher.ts";
import { recordingSchedules } from "../../test/support/recording-schedules.ts";
import { createLocalDirectory } from "../shared/directory.ts";
import {
  startTestIdentityProvider,
  type TestIdentityProvider,
  type TestUser,
} from "../shared/testing/access-tokens.ts";
import { TEST_KEY } from "../shared/testing/decision-tokens.ts";
import { createDecisionApi } from "./api.ts";
import type { AskedApproval } from "./domain.ts";
import { createOnRequestAcceptedHandler } from "./handlers/on-request-accepted.ts";
import { createDecisionApp } from "./http.ts";
import { createOutboxPublisher } from "./outbox.ts";
import { type ApprovalStore, createApprovalStore } from "./store.ts";
import { approvalsTable } from "./tables.ts";
import { approversDirectory, DEFAULT_LEASE_LIMITS, seedPendingApproval } from "./testing/approvals.ts";
import { cancelTransition } from "./withdraw.ts";

const ANA: TestUser = { email: "ana@example.com", name: "Ana", groups: ["requesters"] };
/** Ana as her identity provider may spell her address: the same one, in other case. */
const ANA_TYPED: TestUser = { email: "Ana@Example.com", name: "Ana", groups: ["requesters"] };
const BOB: TestUser = { email: "bob@example.com", name: "Bob", groups: ["approvers"] };
const OPS: TestUser = { email: "operator@example.com", name: "Ops", groups: ["operators"] };

let dynamo: TestDynamo;
let store: ApprovalStore;
let idp: TestIdentityProvider;

beforeAll(async () => {
  dynamo = await startTestDynamo([approvalsTable]);
  store = createApprovalStore(approvalsTable.id, dynamo.document);
  idp = await startTestIdentityProvider();
});
afterAll(() => dynamo.close());

/** A pending approval of Ana's request asking bob and cy (unless `seed` is false), and the decision API around it. */
const setUp = async (requestId: string, { seed = true }: { seed?: boolean } = {}) => {
  const clock = manualClock();
  const bus = recordingPublisher();
  const publishOwed = createOutboxPublisher({
    publisher: bus,
    schedules: recordingSchedules(),
    store,
    now: clock.now,
  });
  const shared = {
    store,
    publishOwed,
    directory: approversDirectory(["bob@example.com", "cy@example.com"]),
    hmacKey: async () => TEST_KEY,
    now: clock.now,
    logger: silentLogger(),
  };
  const api = createDecisionApi({ ...shared, verifyAccessToken: idp.verifyAccessToken });
  const pages = createDecisionApp({
    ...shared,
    publicUrl: "http://localhost:3000",
    decisionsRequireSignIn: false,
  });
  const request = sampleRequest({ requestId });
  const links = seed
    ? await seedPendingApproval(store, {
        request,
        approvers: ["bob@example.com", "cy@example.com"],
        createdAt: clock.now(),
        expiresAt: new Date(clock.now().getTime() + 3600_000),
      })
    : {};
  const withdrawAs = async (user: TestUser, body?: unknown) =>
    api.request(`/api/requests/${requestId}/withdraw`, {
      method: "POST",
      headers: {
        ...(body !== undefined && { "content-type": "application/json" }),
        ...(await idp.authorizationOf(user)),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const approveAs = async (user: TestUser) =>
    api.request(`/api/approvals/${requestId}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(await idp.authorizationOf(user)) },
      body: JSON.stringify({ action: "approve" }),
    });
  const pressLink = (token: string) =>
    pages.request("/decisions/approve", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
      body: new URLSearchParams({ token, confirm: "approve" }).toString(),
    });
  const cancellations = () => bus.eventsOf(RequestCancelled).map((event) => event.detail);
  return {
    bus,
    clock,
    links,
    request,
    publishOwed,
    withdrawAs,
    approveAs,
    pressLink,
    cancellations,
    stored: () => store.get(requestId) as Promise<AskedApproval | undefined>,
  };
};

const errorOf = async (response: Response) => ((await response.json()) as { error: string }).error;

describe("the cancel transition", () => {
  it("cancels, owes RequestCancelled with the approvals counted so far, and frees a waiting decision", async () => {
    const { stored } = await setUp("cancel-transition");
    const approval = (await stored()) as AskedApproval;
    const counted: AskedApproval = {
      ...approval,
      votes: [{ stage: 0, approver: "bob@example.com", decidedAt: "2026-11-28T09:00:00.000Z" }],
      awaitingDecision: {
        action: "approve",
        approver: "cy@example.com",
        decidedAt: "2026-11-28T09:01:00.000Z",
        tokenHash: "hash",
      },
    };

    const transition = cancelTransition(counted, {
      email: "ana@example.com",
      reason: "Not needed",
      withdrawnAt: "2026-11-28T09:30:00.000Z",
    });

    expect(transition.set).toMatchObject({ status: "CANCELLED", withdrawal: { email: "ana@example.com" } });
    expect(transition.remove).toEqual(["awaitingDecision"]);
    expect(transition.events).toEqual([
      {
        detailType: "RequestCancelled",
        detail: expect.objectContaining({
          cancelledBy: "ana@example.com",
          reason: "Not needed",
          approvals: [{ stage: 0, approver: "bob@example.com", decidedAt: "2026-11-28T09:00:00.000Z" }],
          cancelledAt: "2026-11-28T09:30:00.000Z",
        }),
      },
    ]);
  });
});

describe("withdrawing (POST /api/requests/{id}/withdraw)", () => {
  it("cancels a pending request of the caller's and publishes RequestCancelled naming them and their reason", async () => {
    const { withdrawAs, stored, cancellations } = await setUp("withdraw-ok");

    const response = await withdrawAs(ANA_TYPED, { reason: "Found a spare box" });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ requestId: "withdraw-ok", status: "CANCELLED" });
    expect(await stored()).toMatchObject({ status: "CANCELLED", outbox: {} });
    expect(cancellations()).toEqual([
      expect.objectContaining({
        requestId: "withdraw-ok",
        cancelledBy: "Ana@Example.com",
        reason: "Found a spare box",
      }),
    ]);
  });

  it("needs no body", async () => {
    const { withdrawAs, cancellations } = await setUp("withdraw-no-body");

    expect((await withdrawAs(ANA)).status).toBe(200);
    expect(cancellations()[0]).not.toHaveProperty("reason");
  });

  it("answers anyone else 404, as for a request they cannot see, and changes nothing", async () => {
    const { withdrawAs, stored, bus } = await setUp("withdraw-other");

    for (const user of [BOB, OPS]) {
      const response = await withdrawAs(user);
      expect(response.status).toBe(404);
      expect(await errorOf(response)).toBe("No request withdraw-other of yours was found.");
    }
    expect(await stored()).toMatchObject({ status: "PENDING" });
    expect(bus.published).toEqual([]);
  });

  it("refuses a second withdrawal with 409 naming the status", async () => {
    const { withdrawAs, cancellations } = await setUp("withdraw-twice");
    await withdrawAs(ANA);

    const again = await withdrawAs(ANA);

    expect(again.status).toBe(409);
    expect(await errorOf(again)).toContain("it is CANCELLED");
    expect(cancellations()).toHaveLength(1);
  });

  it("refuses a decided or expired request with 409 naming its status", async () => {
    const decided = await setUp("withdraw-decided");
    expect((await decided.approveAs(BOB)).status).toBe(200);
    const late = await decided.withdrawAs(ANA);
    expect(late.status).toBe(409);
    expect(await errorOf(late)).toContain("it is APPROVED");

    const expired = await setUp("withdraw-expired");
    expired.clock.advance(3600_000);
    const tooLate = await expired.withdrawAs(ANA);
    expect(tooLate.status).toBe(409);
    expect(await errorOf(tooLate)).toContain("it is EXPIRED");
  });

  it("refuses a reason the decision events would not hold, naming the field", async () => {
    const { withdrawAs, stored } = await setUp("withdraw-bad-reason");

    const response = await withdrawAs(ANA, { reason: "x".repeat(1001) });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ fieldErrors: [{ field: "reason" }] });
    expect(await stored()).toMatchObject({ status: "PENDING" });
  });

  it("stops every link and signed-in vote: the link page answers 410, the API 409, both saying it was withdrawn", async () => {
    const { withdrawAs, pressLink, approveAs, links, stored } = await setUp("withdraw-links");
    await withdrawAs(ANA);

    const page = await pressLink(links["bob@example.com"]?.approve as string);
    const vote = await approveAs(BOB);

    expect(page.status).toBe(410);
    expect(await page.text()).toContain("This request was withdrawn by its requester");
    expect(vote.status).toBe(409);
    expect(await errorOf(vote)).toContain("This request was withdrawn by its requester");
    expect(await stored()).toMatchObject({ status: "CANCELLED", votes: [] });
  });

  it("races an approval that decides the request: exactly one of them wins", async () => {
    for (let round = 0; round < 5; round++) {
      const { withdrawAs, approveAs, stored, bus } = await setUp(`withdraw-race-${round}`);

      const [withdrawn, approved] = await Promise.all([withdrawAs(ANA), approveAs(BOB)]);

      const outcomes = bus.published
        .map((event) => event.detailType)
        .filter((type) => type === "RequestCancelled" || type === "RequestApproved");
      expect(outcomes).toHaveLength(1);
      const status = (await stored())?.status;
      if (withdrawn.status === 200) {
        expect([approved.status, status, outcomes[0]]).toEqual([409, "CANCELLED", "RequestCancelled"]);
      } else {
        expect([withdrawn.status, approved.status, status, outcomes[0]]).toEqual([
          409,
          200,
          "DECIDED",
          "RequestApproved",
        ]);
      }
    }
  });
});

describe("early withdrawals in the approvals table", () => {
  const withdrawal = (email: string) => ({ email, withdrawnAt: "2026-11-28T09:00:00.000Z" });

  it("keeps every caller's withdrawal, and refuses to replace them with what a read before the last one settled", async () => {
    const template = await setUp("early-store-template");
    const opened = { ...((await template.stored()) as AskedApproval), requestId: "early-store" };
    expect(await store.keepEarlyWithdrawal("early-store", withdrawal("bob@example.com"))).toBe(true);
    const read = await store.get("early-store");
    expect(await store.keepEarlyWithdrawal("early-store", withdrawal("ana@example.com"))).toBe(true);
    if (read?.status !== "WITHDRAWN_EARLY") throw new Error("expected early withdrawals");

    expect(await store.replaceEarlyWithdrawal(read, opened)).toBe(false);
    expect(await store.get("early-store")).toMatchObject({
      status: "WITHDRAWN_EARLY",
      withdrawals: [withdrawal("bob@example.com"), withdrawal("ana@example.com")],
    });
  });

  it("keeps no withdrawal once the approval exists", async () => {
    await setUp("early-too-late");
    expect(await store.keepEarlyWithdrawal("early-too-late", withdrawal("ana@example.com"))).toBe(false);
    expect(await store.get("early-too-late")).toMatchObject({ status: "PENDING" });
  });
});

describe("withdrawing before the request reaches decision", () => {
  const directory = createLocalDirectory([
    { email: "ana@example.com", subject: "sub-ana", groups: ["requesters"] },
    { email: "bob@example.com", subject: "sub-bob", groups: ["approvers"] },
    { email: "cy@example.com", subject: "sub-cy", groups: ["approvers"] },
  ]);
  const acceptedBy = (requestId: string, setup: Awaited<ReturnType<typeof setUp>>) => {
    const handler = createOnRequestAcceptedHandler({
      store,
      directory,
      policies: () => loadPolicies("test/fixtures/policies/quorum-and-stages.json"),
      publishOwed: setup.publishOwed,
      defaultTtlSeconds: 3600,
      leaseLimits: DEFAULT_LEASE_LIMITS,
      now: setup.clock.now,
      logger: silentLogger(),
    });
    return () =>
      (handler as unknown as (event: unknown, context: Context) => Promise<void>)(
        envelopeOf(RequestAccepted, {
          requestId,
          request: { ...setup.request, justification: "two-stages: a big one" },
          acceptedAt: setup.clock.now().toISOString(),
        }),
        localLambdaContext("decision-on-request-accepted", "us-east-1", "000000000000"),
      );
  };

  it("keeps the requester's withdrawal (202), and the request is cancelled as it arrives, no approver asked", async () => {
    const setup = await setUp("early-withdraw", { seed: false });
    const accept = acceptedBy("early-withdraw", setup);

    const response = await setup.withdrawAs(ANA, { reason: "Changed my mind" });
    await accept();
    await accept();

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ requestId: "early-withdraw", status: "CANCELLED" });
    expect(setup.bus.published.map((event) => event.detailType)).toEqual(["RequestCancelled"]);
    expect(setup.cancellations()[0]).toMatchObject({
      cancelledBy: "ana@example.com",
      reason: "Changed my mind",
    });
    expect(await setup.stored()).toMatchObject({ status: "CANCELLED", outbox: {}, eventSeq: 1 });
  });

  it("drops anyone else's withdrawal: the request opens its approval as if none had been asked for", async () => {
    const setup = await setUp("early-other", { seed: false });
    const accept = acceptedBy("early-other", setup);

    expect((await setup.withdrawAs(BOB)).status).toBe(202);
    await accept();

    expect(setup.bus.published.map((event) => event.detailType)).toEqual([
      "ApprovalPolicyApplied",
      "ApprovalStageStarted",
    ]);
    expect(await setup.stored()).toMatchObject({ status: "PENDING" });
    expect((await setup.withdrawAs(BOB)).status).toBe(404);
    expect((await setup.withdrawAs(ANA)).status).toBe(200);
  });

  it("cancels on arrival when the requester's withdrawal follows someone else's", async () => {
    const setup = await setUp("early-both", { seed: false });
    const accept = acceptedBy("early-both", setup);

    await setup.withdrawAs(BOB);
    await setup.withdrawAs(ANA);
    await accept();

    expect(setup.bus.published.map((event) => event.detailType)).toEqual(["RequestCancelled"]);
  });
});
