import "../../../test/support/service-environment.ts";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalRequested } from "../../../events/approval-requested.ts";
import type { AcceptedRequest } from "../../../events/request.ts";
import { RequestAccepted } from "../../../events/request-accepted.ts";
import { localLambdaContext } from "../../../infra/local/lambda-context.ts";
import { loadPolicies, type PolicySet, parsePolicies } from "../../../policy/index.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { manualClock, silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf, sampleRequest } from "../../../test/support/fixtures.ts";
import { recordingPublisher } from "../../../test/support/recording-publisher.ts";
import { recordingSchedules } from "../../../test/support/recording-schedules.ts";
import { hashToken } from "../../shared/decision-token.ts";
import { createLocalDirectory } from "../../shared/directory.ts";
import { OUTCOME_PUBLISH_GRACE_MS } from "../../shared/leases.ts";
import { issueLinks } from "../../shared/testing/decision-tokens.ts";
import { decide, decideSignedIn } from "../decide.ts";
import type { AskedApproval } from "../domain.ts";
import { createOutboxPublisher } from "../outbox.ts";
import { type ApprovalStore, createApprovalStore } from "../store.ts";
import { approvalsTable } from "../tables.ts";
import { approvalRequestedFor, DEFAULT_LEASE_LIMITS } from "../testing/approvals.ts";
import { createExpireSweeperHandler } from "./expire-sweeper.ts";
import { createOnApprovalRequestedHandler } from "./on-approval-requested.ts";
import { createOnRequestAcceptedHandler } from "./on-request-accepted.ts";

const POLICIES = loadPolicies("test/fixtures/policies/quorum-and-stages.json");
const TTL_SECONDS = 3600;

/** Ana asks; bob, cy and dee approve; Ana is in "approvers" too, and is never asked about her own requests. */
const directory = createLocalDirectory([
  { email: "ana@example.com", subject: "sub-ana", groups: ["requesters", "approvers"] },
  { email: "bob@example.com", subject: "sub-bob", groups: ["approvers"] },
  { email: "cy@example.com", subject: "sub-cy", groups: ["approvers"] },
  { email: "dee@example.com", subject: "sub-dee", groups: ["approvers"] },
  { email: "operator@example.com", subject: "sub-op", groups: ["operators"] },
]);

let dynamo: TestDynamo;
let store: ApprovalStore;

beforeAll(async () => {
  dynamo = await startTestDynamo([approvalsTable]);
  store = createApprovalStore(approvalsTable.id, dynamo.document);
});
afterAll(() => dynamo.close());

/**
 * The handler around the real table; `accept` delivers the RequestAccepted of a request with that
 * justification (and anything else `overrides` sets).
 */
const setUp = (requestId: string, policies: PolicySet = POLICIES) => {
  const clock = manualClock();
  const bus = recordingPublisher();
  const publishOwed = createOutboxPublisher({
    publisher: bus,
    schedules: recordingSchedules(),
    store,
    now: clock.now,
  });
  const handler = createOnRequestAcceptedHandler({
    store,
    directory,
    policies: () => policies,
    publishOwed,
    defaultTtlSeconds: TTL_SECONDS,
    leaseLimits: DEFAULT_LEASE_LIMITS,
    now: clock.now,
    logger: silentLogger(),
  });
  const request = (justification: string) => sampleRequest({ requestId, justification });
  const accept = (justification: string, overrides: Partial<AcceptedRequest> = {}) =>
    (handler as unknown as (event: unknown, context: Context) => Promise<void>)(
      envelopeOf(RequestAccepted, {
        requestId,
        request: { ...request(justification), ...overrides },
        acceptedAt: clock.now().toISOString(),
      }),
      localLambdaContext("decision-on-request-accepted", "us-east-1", "000000000000"),
    );
  /** `email` approves (or rejects) signed in, and what the vote owes is published. */
  const vote = async (email: string, action: "approve" | "reject" = "approve", reason?: string) => {
    const result = await decideSignedIn(
      { store, directory },
      {
        requestId,
        action,
        approver: { email, subject: `sub-${email.split("@")[0]}` },
        reason,
        now: clock.now(),
      },
    );
    if (result.recorded) await publishOwed(result.approval, result.keys);
    return result;
  };
  const types = () => bus.published.map((event) => event.detailType);
  /** approval-mail's announcement of the links it mailed the first stage. */
  const announce = async (links: ReturnType<typeof issueLinks>, expiresAt: Date) => {
    const onRequested = createOnApprovalRequestedHandler({
      store,
      directory,
      publishOwed,
      now: clock.now,
      logger: silentLogger(),
    });
    const detail = approvalRequestedFor({
      request: request("two-stages: a big one"),
      links,
      expiresAt,
      requestedAt: clock.now(),
    });
    await (onRequested as unknown as (event: unknown, context: Context) => Promise<void>)(
      envelopeOf(ApprovalRequested, detail),
      localLambdaContext("decision-on-approval-requested", "us-east-1", "000000000000"),
    );
  };
  return { bus, clock, accept, announce, vote, types, stored: () => store.get(requestId) };
};

describe("applying the approval policies to an accepted request", () => {
  it("auto-approves by policy: ApprovalPolicyApplied, then RequestApproved by policy:<name>, no stage at all", async () => {
    const { accept, bus, types, stored } = setUp("auto-1");

    await accept("auto: a tiny box");
    await accept("auto: a tiny box");

    expect(types()).toEqual(["ApprovalPolicyApplied", "RequestApproved"]);
    expect(bus.published[1]?.detail).toMatchObject({
      approver: "policy:harmless",
      reason: "harmless test request",
      policy: { name: "harmless" },
    });
    expect(await stored()).toMatchObject({ status: "DECIDED", outbox: {} });
    expect(await stored()).not.toHaveProperty("sweepTask");
  });

  it("denies by policy: RequestRejected by policy:<name> with its reason", async () => {
    const { accept, bus, types } = setUp("deny-1");

    await accept("deny: please");

    expect(types()).toEqual(["ApprovalPolicyApplied", "RequestRejected"]);
    expect(bus.published[1]?.detail).toMatchObject({
      approver: "policy:forbidden",
      reason: "not allowed in tests",
    });
  });

  it("refuses at once when fewer people can approve than the quorum, saying so", async () => {
    const { accept, bus, types } = setUp("board-1");

    await accept("board: nobody sits on it");

    expect(types()).toEqual(["ApprovalPolicyApplied", "RequestRejected"]);
    expect(bus.published[1]?.detail).toMatchObject({
      approver: "policy:board",
      reason: "needs 2 approvals from the board but only 0 people can give them",
    });
  });

  it("starts the first stage with its group's members, never the requester, due to expire after the default", async () => {
    const { accept, bus, types, stored } = setUp("stage-1");

    await accept("two-stages: a big one");

    expect(types()).toEqual(["ApprovalPolicyApplied", "ApprovalStageStarted"]);
    expect(bus.published[1]?.detail).toMatchObject({
      stage: { index: 0, name: "team leads", count: 2 },
      approvers: [{ email: "bob@example.com" }, { email: "cy@example.com" }, { email: "dee@example.com" }],
      quorum: 2,
      policy: { name: "two-stages" },
    });
    expect(await stored()).toMatchObject({ status: "PENDING", sweepTask: "EXPIRE", outbox: {} });
  });
});

/** Policies with lease rules, beside one that has none and so takes the deployment's (P7D, at most P90D). */
const LEASE_POLICIES = parsePolicies(
  JSON.stringify({
    policies: [
      {
        name: "short-lived",
        match: { justification: [{ prefix: "short:" }] },
        autoApprove: { reason: "a short-lived box" },
        lease: { default: "P2D", max: "P14D", onEnd: { ec2: "stop" } },
      },
      {
        name: "kept",
        match: { justification: [{ prefix: "kept:" }] },
        stages: [{ name: "leads", approvers: { groups: ["approvers"] }, quorum: 1 }],
        lease: { noEnd: true },
      },
      { name: "plain", stages: [{ name: "leads", approvers: { groups: ["approvers"] }, quorum: 1 }] },
    ],
  }),
  "lease-policies.json",
);

describe("settling the request's lease with its policy", () => {
  it("gives a request that asks for none the deployment's default, on every event naming the outcome, and keeps it", async () => {
    const { accept, vote, bus, types, stored } = setUp("lease-default", LEASE_POLICIES);
    const terms = { duration: "P7D", onEnd: "terminate", max: "P90D" };

    await accept("plain: a box");
    await vote("bob@example.com");

    expect(types()).toEqual([
      "ApprovalPolicyApplied",
      "ApprovalStageStarted",
      "ApprovalVoteRecorded",
      "ApprovalStageCompleted",
      "RequestApproved",
    ]);
    for (const type of ["ApprovalPolicyApplied", "ApprovalStageStarted", "RequestApproved"]) {
      expect(bus.published.find((event) => event.detailType === type)?.detail).toMatchObject({
        lease: terms,
      });
    }
    expect(await stored()).toMatchObject({ lease: terms });
  });

  it("gives the policy's own default and end action, on an auto-approval too", async () => {
    const { accept, bus, types } = setUp("lease-policy-default", LEASE_POLICIES);

    await accept("short: a test box");

    expect(types()).toEqual(["ApprovalPolicyApplied", "RequestApproved"]);
    expect(bus.published[1]?.detail).toMatchObject({
      approver: "policy:short-lived",
      lease: { duration: "P2D", onEnd: "stop", max: "P14D" },
    });
  });

  it("keeps the lease the request asks for within the policy's max", async () => {
    const { accept, bus } = setUp("lease-asked", LEASE_POLICIES);

    await accept("short: a test box", { lease: "PT8H" });

    expect(bus.published[1]?.detail).toMatchObject({ lease: { duration: "PT8H", max: "P14D" } });
  });

  it("rejects, by the policy, a lease longer than its max, before any approver is asked", async () => {
    const { accept, bus, types, stored } = setUp("lease-too-long", LEASE_POLICIES);

    await accept("short: a test box", { lease: "P30D" });

    expect(types()).toEqual(["ApprovalPolicyApplied", "RequestRejected"]);
    expect(bus.published[1]?.detail).toMatchObject({
      approver: "policy:short-lived",
      reason: 'lease: P30D is longer than the P14D policy "short-lived" allows',
    });
    expect(bus.published[0]?.detail).not.toHaveProperty("lease");
    expect(await stored()).toMatchObject({ status: "DECIDED", decision: { action: "reject" } });
  });

  it('grants no end ("none") where the policy allows it, and rejects it where it does not', async () => {
    const allowed = setUp("lease-none-allowed", LEASE_POLICIES);
    const refused = setUp("lease-none-refused", LEASE_POLICIES);

    await allowed.accept("kept: the build server", { lease: "none" });
    await refused.accept("plain: a box", { lease: "none" });

    expect(allowed.types()).toEqual(["ApprovalPolicyApplied", "ApprovalStageStarted"]);
    expect(allowed.bus.published[1]?.detail).toMatchObject({
      lease: { duration: null, onEnd: "terminate", max: null },
    });
    expect(refused.types()).toEqual(["ApprovalPolicyApplied", "RequestRejected"]);
    expect(refused.bus.published[1]?.detail).toMatchObject({
      approver: "policy:plain",
      reason: 'lease: policy "plain" does not allow a lease with no end; ask for at most P90D',
    });
  });
});

describe("counting votes in stages", () => {
  it("completes a stage at its quorum, then asks the next stage without anyone who already approved", async () => {
    const { accept, vote, bus, types } = setUp("stages-2");
    await accept("two-stages: a big one");

    await vote("bob@example.com");
    const afterOne = types().length;
    await vote("cy@example.com");

    expect(afterOne).toBe(3);
    expect(types().slice(2)).toEqual([
      "ApprovalVoteRecorded",
      "ApprovalVoteRecorded",
      "ApprovalStageCompleted",
      "ApprovalStageStarted",
    ]);
    expect(bus.published.at(-1)?.detail).toMatchObject({
      stage: { index: 1, name: "finance", count: 2 },
      approvers: [{ email: "dee@example.com" }, { email: "operator@example.com" }],
    });
    // Bob approved in the first stage: he is not asked again, and cannot count twice.
    expect(await vote("bob@example.com")).toMatchObject({ recorded: false });

    await vote("operator@example.com");

    expect(types().slice(-3)).toEqual(["ApprovalVoteRecorded", "ApprovalStageCompleted", "RequestApproved"]);
    expect(bus.published.at(-1)?.detail).toMatchObject({
      approver: "operator@example.com",
      policy: { name: "two-stages" },
      approvals: [
        { stage: 0, approver: "bob@example.com" },
        { stage: 0, approver: "cy@example.com" },
        { stage: 1, approver: "operator@example.com" },
      ],
    });
  });

  it("ends the request at any rejection, with the approvals counted so far", async () => {
    const { accept, vote, bus, stored } = setUp("stages-reject");
    await accept("two-stages: a big one");

    await vote("bob@example.com");
    await vote("cy@example.com", "reject", "Too expensive");

    expect(bus.published.at(-1)).toMatchObject({
      detailType: "RequestRejected",
      detail: {
        approver: "cy@example.com",
        reason: "Too expensive",
        approvals: [{ stage: 0, approver: "bob@example.com" }],
      },
    });
    expect(await stored()).toMatchObject({ status: "DECIDED" });
  });

  it('waits for every member of the group with "all"', async () => {
    const { accept, vote, types } = setUp("stages-all");
    await accept("all: everyone agrees");

    await vote("bob@example.com");
    await vote("cy@example.com");
    expect(types()).not.toContain("RequestApproved");
    await vote("dee@example.com");

    expect(types().at(-1)).toBe("RequestApproved");
  });

  it("counts each of many concurrent approvals once: the quorum is met once, none is lost", async () => {
    const { accept, vote, types, stored } = setUp("stages-concurrent");
    await accept("all: everyone agrees");

    const results = await Promise.all(
      ["bob@example.com", "cy@example.com", "dee@example.com"].flatMap((email) => [vote(email), vote(email)]),
    );

    expect(results.filter((result) => result.recorded)).toHaveLength(3);
    expect(types().filter((type) => type === "ApprovalVoteRecorded")).toHaveLength(3);
    expect(types().filter((type) => type === "RequestApproved")).toHaveLength(1);
    expect(((await stored()) as AskedApproval).votes.map((counted) => counted.approver).sort()).toEqual([
      "bob@example.com",
      "cy@example.com",
      "dee@example.com",
    ]);
  });

  it("refuses an approver the directory no longer puts in the stage's groups", async () => {
    const { accept, types, clock } = setUp("stages-removed");
    await accept("two-stages: a big one");
    const without = createLocalDirectory([{ email: "bob@example.com", groups: ["requesters"] }]);

    const result = await decideSignedIn(
      { store, directory: without },
      {
        requestId: "stages-removed",
        action: "approve",
        approver: { email: "bob@example.com", subject: "sub-bob" },
        now: clock.now(),
      },
    );

    expect(result).toMatchObject({ recorded: false, refusal: { title: "You are no longer an approver" } });
    expect(types()).not.toContain("ApprovalVoteRecorded");
  });
});

describe("a link used before approval-mail announced it", () => {
  it("waits on the approval, counts once the announcement arrives, and keeps the slot for no one else", async () => {
    const { accept, announce, types, clock, stored } = setUp("unannounced-1");
    await accept("two-stages: a big one");
    const expiresAt = new Date(clock.now().getTime() + TTL_SECONDS * 1000);
    const links = issueLinks({
      requestId: "unannounced-1",
      approvers: ["bob@example.com", "cy@example.com", "dee@example.com"],
      expiresAt,
    });
    const bobs = links["bob@example.com"]?.approve ?? "";

    const early = await decide(
      { store, directory },
      {
        claims: { requestId: "unannounced-1", action: "approve", approver: "bob@example.com", expiresAt },
        tokenHash: hashToken(bobs),
        now: clock.now(),
      },
    );
    expect(early).toMatchObject({ recorded: true, awaiting: { status: "PENDING" } });
    expect(types()).not.toContain("ApprovalVoteRecorded");

    await announce(links, expiresAt);

    expect(types().filter((type) => type === "ApprovalVoteRecorded")).toHaveLength(1);
    expect(await stored()).toMatchObject({ votes: [{ approver: "bob@example.com" }] });
    expect(await stored()).not.toHaveProperty("awaitingDecision");
  });
});

describe("events a crash left unpublished", () => {
  it("are published by the sweeper after the grace, in order, and the approval is due to expire again", async () => {
    const { accept, bus, types, clock, stored } = setUp("lost-stage");
    bus.failNext(1);

    await accept("two-stages: a big one");
    expect(await stored()).toMatchObject({ status: "PENDING", sweepTask: "PUBLISH" });
    const sweeper = createExpireSweeperHandler({
      store,
      publishOwed: createOutboxPublisher({
        publisher: bus,
        schedules: recordingSchedules(),
        store,
        now: clock.now,
      }),
      now: clock.now,
      logger: silentLogger(),
    });
    clock.advance(OUTCOME_PUBLISH_GRACE_MS / 1000);
    await sweeper({}, localLambdaContext("decision-expire-sweeper", "us-east-1", "000000000000"));

    expect(types()).toEqual(["ApprovalPolicyApplied", "ApprovalStageStarted"]);
    const approval = (await stored()) as AskedApproval;
    expect(approval).toMatchObject({ outbox: {}, sweepTask: "EXPIRE", sweepAt: approval.expiresAt });
  });
});
