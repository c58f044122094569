import "../../../test/support/service-environment.ts";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalRequested } from "../../../events/approval-requested.ts";
import { ApprovalTimerDue } from "../../../events/approval-timer-due.ts";
import type { DetailOf, EventContract } from "../../../events/contract.ts";
import type { LeaseTerms } from "../../../events/lease.ts";
import {
  ExtensionDecided,
  ExtensionRequested,
  RELEASED_BEFORE_DECIDED,
  ReleaseRequested,
} from "../../../events/lease-events.ts";
import { RequestAccepted } from "../../../events/request-accepted.ts";
import { localLambdaContext } from "../../../infra/local/lambda-context.ts";
import { parsePolicies } from "../../../policy/index.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { manualClock, silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf, sampleRequest } from "../../../test/support/fixtures.ts";
import { recordingPublisher } from "../../../test/support/recording-publisher.ts";
import { recordingSchedules } from "../../../test/support/recording-schedules.ts";
import { hashToken, verifyDecisionToken } from "../../shared/decision-token.ts";
import { createLocalDirectory } from "../../shared/directory.ts";
import { type IssuedLinks, issueLinks, TEST_KEY } from "../../shared/testing/decision-tokens.ts";
import { decide, decideSignedIn } from "../decide.ts";
import { type AskedApproval, judgeDecision } from "../domain.ts";
import { createDecisionApp } from "../http.ts";
import { createOutboxPublisher } from "../outbox.ts";
import { type ApprovalStore, createApprovalStore } from "../store.ts";
import { approvalsTable } from "../tables.ts";
import { approvalRequestedFor, DEFAULT_LEASE_LIMITS } from "../testing/approvals.ts";
import { withdraw } from "../withdraw.ts";
import { createOnApprovalRequestedHandler } from "./on-approval-requested.ts";
import { createOnApprovalTimerDueHandler } from "./on-approval-timer-due.ts";
import { createOnExtensionRequestedHandler } from "./on-extension-requested.ts";
import { createOnReleaseRequestedHandler } from "./on-release-requested.ts";
import { createOnRequestAcceptedHandler } from "./on-request-accepted.ts";

const DAY_MS = 86_400_000;

/**
 * One policy for every request: a lead approves; a lease runs at most 30 days from provisioning, and
 * extensions keeping it within 14 are approved without asking. A round waits two hours.
 */
const POLICIES = parsePolicies(
  JSON.stringify({
    policies: [
      {
        name: "leads",
        stages: [{ name: "leads", approvers: { groups: ["approvers"] }, quorum: 1 }],
        expiresAfter: "PT2H",
        lease: { max: "P30D", autoExtendUpTo: "P14D" },
      },
    ],
  }),
  "policies.json",
);

/** Ana asks; bob and cy are the leads. */
const directory = createLocalDirectory([
  { email: "ana@example.com", subject: "sub-ana", groups: ["requesters"] },
  { email: "bob@example.com", subject: "sub-bob", groups: ["approvers"] },
  { email: "cy@example.com", subject: "sub-cy", groups: ["approvers"] },
]);

let dynamo: TestDynamo;
let store: ApprovalStore;

beforeAll(async () => {
  dynamo = await startTestDynamo([approvalsTable]);
  store = createApprovalStore(approvalsTable.id, dynamo.document);
});
afterAll(() => dynamo.close());

type Handler = (event: unknown, context: Context) => Promise<void>;

const deliver = <C extends EventContract>(handler: unknown, contract: C, detail: DetailOf<C>) =>
  (handler as Handler)(
    envelopeOf(contract, detail),
    localLambdaContext("decision", "us-east-1", "000000000000"),
  );

/**
 * A request approved by bob with his emailed link (cy was mailed one too), whose resource was then
 * provisioned: `ask` delivers the lease service's ExtensionRequested `n` for an end `days` after that.
 */
const approvedAndProvisioned = async (requestId: string) => {
  const clock = manualClock();
  const bus = recordingPublisher();
  const timers = recordingSchedules();
  const publishOwed = createOutboxPublisher({ publisher: bus, schedules: timers, store, now: clock.now });
  const common = { store, directory, publishOwed, now: clock.now, logger: silentLogger() };
  const policies = () => POLICIES;
  const onAccepted = createOnRequestAcceptedHandler({
    ...common,
    policies,
    defaultTtlSeconds: 3600,
    leaseLimits: DEFAULT_LEASE_LIMITS,
  });
  const onExtension = createOnExtensionRequestedHandler({ ...common, policies, defaultTtlSeconds: 3600 });
  const onRequested = createOnApprovalRequestedHandler(common);
  const onTimer = createOnApprovalTimerDueHandler(common);
  const onRelease = createOnReleaseRequestedHandler(common);
  const request = sampleRequest({ requestId, requester: { email: "ana@example.com", name: "Ana" } });
  const stored = async () => (await store.get(requestId)) as AskedApproval;

  /** approval-mail's links to bob and cy for the round the approval is in, announced as it announces them. */
  const mailRound = async (): Promise<IssuedLinks> => {
    const { expiresAt, extension } = await stored();
    const links = issueLinks({
      requestId,
      approvers: ["bob@example.com", "cy@example.com"],
      expiresAt: new Date(expiresAt),
    });
    await deliver(onRequested, ApprovalRequested, {
      ...approvalRequestedFor({ request, links, expiresAt: new Date(expiresAt), requestedAt: clock.now() }),
      ...(extension && { extension }),
    });
    return links;
  };

  /** `approver` decides with their link, its claims as the decision page verifies them, and what it owes is published. */
  const decideWith = async (
    links: IssuedLinks,
    approver: string,
    action: "approve" | "reject",
    reason?: string,
  ) => {
    const token = links[approver]?.[action] ?? "";
    const check = verifyDecisionToken(token, action, TEST_KEY, clock.now());
    if (!check.valid) throw new Error(`The link of ${approver} is ${check.problem}`);
    const result = await decide(
      { store, directory },
      { claims: check.claims, tokenHash: hashToken(token), reason, now: clock.now() },
    );
    if (result.recorded && "approval" in result) await publishOwed(result.approval, result.keys);
    return result;
  };

  await deliver(onAccepted, RequestAccepted, { requestId, request, acceptedAt: clock.now().toISOString() });
  const firstLinks = await mailRound();
  await decideWith(firstLinks, "bob@example.com", "approve");
  const terms = bus.published.find((event) => event.detailType === "RequestApproved")?.detail
    .lease as LeaseTerms;
  clock.advance(600);
  const startedAt = clock.now();
  const endsAt = new Date(startedAt.getTime() + 7 * DAY_MS).toISOString();

  const resource = { type: "ec2", instanceId: "i-0123456789abcdef0", region: "us-east-1" } as const;
  const ask = (n: number, days: number) =>
    deliver(onExtension, ExtensionRequested, {
      requestId,
      request,
      resource,
      terms,
      extension: {
        n,
        until: new Date(startedAt.getTime() + days * DAY_MS).toISOString(),
        from: endsAt,
        justification: "The load tests run another week",
        askedBy: { email: "ana@example.com", subject: "sub-ana" },
        askedAt: clock.now().toISOString(),
      },
      startedAt: startedAt.toISOString(),
    });
  const decided = () => bus.eventsOf(ExtensionDecided).map((event) => event.detail);
  /** The lease service's ReleaseRequested: ana releases the instance now. */
  const release = () =>
    deliver(onRelease, ReleaseRequested, {
      requestId,
      request,
      resource,
      action: terms.onEnd,
      reason: "released-by-requester",
      by: { email: "ana@example.com", subject: "sub-ana" },
      requestedAt: clock.now().toISOString(),
    });
  /** Events since `from` (an index into what was published). */
  const typesFrom = (from: number) => bus.published.slice(from).map((event) => event.detailType);

  /** `email` decides signed in, as the Approvals page does, and what it owes is published. */
  const voteSignedIn = async (email: string, action: "approve" | "reject", reason?: string) => {
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

  return {
    publishOwed,
    voteSignedIn,
    clock,
    bus,
    timers,
    terms,
    endsAt,
    request,
    firstLinks,
    ask,
    decided,
    release,
    typesFrom,
    stored,
    mailRound,
    decideWith,
    timerDue: (detail: Omit<DetailOf<typeof ApprovalTimerDue>, "requestId">) =>
      deliver(onTimer, ApprovalTimerDue, { requestId, ...detail }),
  };
};

describe("an extension a policy decides at once", () => {
  it("is approved by the policy within its autoExtendUpTo, with no round and the request's decision untouched", async () => {
    const { ask, decided, typesFrom, bus, stored, terms } = await approvedAndProvisioned("ext-auto");
    const before = bus.published.length;

    await ask(1, 10);
    await ask(1, 10);

    expect(terms).toEqual({ duration: "P7D", onEnd: "terminate", max: "P30D" });
    expect(typesFrom(before)).toEqual(["ExtensionDecided"]);
    expect(decided()).toEqual([
      expect.objectContaining({
        extension: expect.objectContaining({ n: 1, justification: "The load tests run another week" }),
        approved: true,
        decider: "policy:leads",
        reason: 'within the P14D policy "leads" extends without asking',
        policy: expect.objectContaining({ name: "leads" }),
      }),
    ]);
    expect(await stored()).toMatchObject({
      status: "DECIDED",
      decision: { action: "approve", approver: "bob@example.com" },
      extensionsHandled: [1],
    });
    expect(await stored()).not.toHaveProperty("extension");
  });

  it("is refused by the policy beyond the lease's max, saying why", async () => {
    const { ask, decided } = await approvedAndProvisioned("ext-too-long");

    await ask(1, 31);

    expect(decided()).toEqual([
      expect.objectContaining({
        approved: false,
        decider: "policy:leads",
        reason: 'the lease would run longer than the P30D policy "leads" allows from provisioning',
      }),
    ]);
  });
});

describe("an extension asked of the policy's approvers", () => {
  it("opens a round from the first stage, every event of it naming the extension, with its own deadline and timers", async () => {
    const { ask, typesFrom, bus, timers, clock, stored, terms } = await approvedAndProvisioned("ext-round");
    const before = bus.published.length;

    await ask(1, 20);

    expect(typesFrom(before)).toEqual(["ApprovalPolicyApplied", "ApprovalStageStarted"]);
    const extension = bus.published.at(-1)?.detail.extension;
    expect(extension).toMatchObject({ n: 1, justification: "The load tests run another week" });
    expect(bus.published.at(-2)?.detail).toMatchObject({
      extension,
      lease: terms,
      policy: { name: "leads" },
    });
    const deadline = new Date(clock.now().getTime() + 2 * 3600_000).toISOString();
    expect(bus.published.at(-1)?.detail).toMatchObject({
      extension,
      lease: terms,
      stage: { index: 0, name: "leads" },
      approvers: [{ email: "bob@example.com" }, { email: "cy@example.com" }],
      expiresAt: deadline,
    });
    expect(await stored()).toMatchObject({
      status: "PENDING",
      extension,
      votes: [],
      voters: [],
      expiresAt: deadline,
      // The request's own approval, as it ended, stays readable.
      rounds: [{ status: "DECIDED", decision: { action: "approve", approver: "bob@example.com" } }],
    });
    expect(await stored()).not.toHaveProperty("grants");
    expect(timers.pending.get("ext-round.x1-expiry-0-0")?.detail).toMatchObject({
      kind: "expiry",
      extension: 1,
    });
  });

  it("ends in ExtensionDecided approved by the approver whose link completed the round, with the approvals", async () => {
    const { ask, mailRound, decideWith, decided, bus, stored } = await approvedAndProvisioned("ext-approved");
    await ask(1, 20);
    const links = await mailRound();
    const before = bus.published.length;

    // Bob approved the request itself: a new round counts him afresh.
    await decideWith(links, "bob@example.com", "approve", "One more week is fine");

    expect(bus.published.slice(before).map((event) => [event.detailType, event.detail.extension])).toEqual([
      ["ApprovalVoteRecorded", expect.objectContaining({ n: 1 })],
      ["ApprovalStageCompleted", expect.objectContaining({ n: 1 })],
      ["ExtensionDecided", expect.objectContaining({ n: 1 })],
    ]);
    expect(decided()).toEqual([
      expect.objectContaining({
        approved: true,
        decider: "bob@example.com",
        reason: "One more week is fine",
        approvals: [expect.objectContaining({ stage: 0, approver: "bob@example.com" })],
      }),
    ]);
    expect(
      bus.published.map((event) => event.detailType).filter((type) => type === "RequestApproved"),
    ).toHaveLength(1);
    expect(await stored()).toMatchObject({ status: "DECIDED", decision: { approver: "bob@example.com" } });
  });

  it("ends in ExtensionDecided refused with the reason of an approver who rejects it", async () => {
    const { ask, voteSignedIn, decided, stored } = await approvedAndProvisioned("ext-rejected");
    await ask(1, 20);

    await voteSignedIn("cy@example.com", "reject", "Release it and ask again next month");

    expect(decided()).toEqual([
      expect.objectContaining({
        extension: expect.objectContaining({ n: 1 }),
        approved: false,
        decider: "cy@example.com",
        reason: "Release it and ask again next month",
      }),
    ]);
    expect(await stored()).toMatchObject({
      status: "DECIDED",
      rounds: [{ decision: { action: "approve" } }],
    });
  });

  it("is refused when no approver decided before the round's deadline, and a timer of another round does nothing", async () => {
    const { ask, timerDue, decided, clock, stored } = await approvedAndProvisioned("ext-expired");
    await ask(1, 20);
    const { expiresAt } = await stored();
    clock.advance(2 * 3600 + 1);

    await timerDue({ kind: "expiry", stage: 0, dueAt: expiresAt });
    expect(decided()).toEqual([]);
    await timerDue({ kind: "expiry", stage: 0, extension: 1, dueAt: expiresAt });
    await timerDue({ kind: "expiry", stage: 0, extension: 1, dueAt: expiresAt });

    expect(decided()).toEqual([
      expect.objectContaining({ approved: false, reason: `no approver decided before ${expiresAt}` }),
    ]);
    expect(decided()[0]).not.toHaveProperty("decider");
    expect(await stored()).toMatchObject({ status: "EXPIRED" });
  });

  it("counts none of the links of the request's own approval, even one announced late", async () => {
    const { ask, firstLinks, decideWith, stored, clock, bus, request } =
      await approvedAndProvisioned("ext-old-link");
    await ask(1, 20);

    // Cy's link of the request's own approval was never used; the round asks cy again.
    const cysOldLink = await decideWith(firstLinks, "cy@example.com", "approve");
    const { expiresAt: firstDeadline } = (await stored()).rounds?.[0] ?? { expiresAt: "" };
    const late = createOnApprovalRequestedHandler({
      store,
      directory,
      publishOwed: createOutboxPublisher({
        publisher: bus,
        schedules: recordingSchedules(),
        store,
        now: clock.now,
      }),
      now: clock.now,
      logger: silentLogger(),
    });
    await deliver(
      late,
      ApprovalRequested,
      approvalRequestedFor({
        request,
        links: firstLinks,
        expiresAt: new Date(firstDeadline),
        requestedAt: clock.now(),
      }),
    );
    const afterLateAnnouncement = await decideWith(firstLinks, "cy@example.com", "approve");

    for (const result of [cysOldLink, afterLateAnnouncement]) {
      expect(result).toMatchObject({
        recorded: false,
        refusal: { status: 403, title: "This link is not valid" },
      });
    }
    expect(await stored()).toMatchObject({ status: "PENDING", votes: [] });
    expect(await stored()).not.toHaveProperty("grants");
  });

  it("opens one round however often its ExtensionRequested is delivered", async () => {
    const { ask, typesFrom, bus, stored } = await approvedAndProvisioned("ext-twice");
    const before = bus.published.length;

    await ask(1, 20);
    await ask(1, 20);

    expect(typesFrom(before)).toEqual(["ApprovalPolicyApplied", "ApprovalStageStarted"]);
    expect(await stored()).toMatchObject({ extensionsHandled: [1], rounds: [{ status: "DECIDED" }] });
  });

  it("refuses a second extension while the first one's round is still pending", async () => {
    const { ask, decided, stored } = await approvedAndProvisioned("ext-overlap");
    await ask(1, 20);

    await ask(2, 25);

    expect(decided()).toEqual([
      expect.objectContaining({
        extension: expect.objectContaining({ n: 2 }),
        approved: false,
        reason: "extension 1 of this lease is still being decided",
      }),
    ]);
    expect(await stored()).toMatchObject({ status: "PENDING", extension: { n: 1 } });
  });

  it("is never withdrawn as if it were the request: the request stays approved", async () => {
    const { ask, clock, stored } = await approvedAndProvisioned("ext-withdraw");
    await ask(1, 20);

    const result = await withdraw(store, {
      requestId: "ext-withdraw",
      caller: { email: "ana@example.com", subject: "sub-ana" },
      now: clock.now(),
    });

    expect(result).toEqual({ outcome: "settled", status: "APPROVED" });
    expect(await stored()).toMatchObject({ status: "PENDING", extension: { n: 1 } });
  });
});

describe("an extension's round when the resource is released first", () => {
  it("is refused once, decided by nobody, however often the release is delivered; its timers are taken back", async () => {
    const { ask, release, decided, typesFrom, bus, timers, stored } =
      await approvedAndProvisioned("ext-released");
    await ask(1, 20);
    const before = bus.published.length;

    await release();
    await release();

    expect(typesFrom(before)).toEqual(["ExtensionDecided"]);
    expect(decided()).toEqual([
      expect.objectContaining({
        extension: expect.objectContaining({ n: 1 }),
        approved: false,
        reason: "the resource was released before the extension was decided",
      }),
    ]);
    expect(decided()[0]).not.toHaveProperty("decider");
    expect(await stored()).toMatchObject({
      status: "CANCELLED",
      extension: { n: 1 },
      rounds: [{ status: "DECIDED", decision: { action: "approve" } }],
    });
    expect([...timers.pending.keys()].filter((name) => name.startsWith("ext-released.x1-"))).toEqual([]);
  });

  it("refuses a link of the round once it is closed, and the request stays approved", async () => {
    const { ask, release, mailRound, decideWith, voteSignedIn, decided, clock } =
      await approvedAndProvisioned("ext-released-link");
    await ask(1, 20);
    const links = await mailRound();

    await release();
    const withLink = await decideWith(links, "cy@example.com", "approve");
    const signedIn = await voteSignedIn("bob@example.com", "approve");

    for (const result of [withLink, signedIn]) {
      expect(result).toMatchObject({
        recorded: false,
        refusal: { status: 410, title: "This extension is no longer needed" },
      });
    }
    expect(decided()).toEqual([expect.objectContaining({ approved: false })]);
    expect(
      await withdraw(store, {
        requestId: "ext-released-link",
        caller: { email: "ana@example.com", subject: "sub-ana" },
        now: clock.now(),
      }),
    ).toEqual({ outcome: "settled", status: "APPROVED" });
  });

  it("only notes the release when no round is pending: an extension its policy decided at once stays decided", async () => {
    const { ask, release, decided, typesFrom, bus, stored } =
      await approvedAndProvisioned("ext-released-none");
    await ask(1, 10);
    const before = bus.published.length;
    const { eventSeq } = await stored();

    await release();

    expect(typesFrom(before)).toEqual([]);
    expect(decided()).toEqual([expect.objectContaining({ approved: true })]);
    expect(await stored()).toMatchObject({ status: "DECIDED", eventSeq, releasedAt: expect.any(String) });
  });
});

describe("an extension delivered after the release", () => {
  it("is refused, whatever order the two came in, and opens no round", async () => {
    const { ask, release, decided, stored } = await approvedAndProvisioned("ext-after-release");

    await release();
    await ask(1, 20);

    expect(decided()).toEqual([
      expect.objectContaining({
        extension: expect.objectContaining({ n: 1 }),
        approved: false,
        reason: RELEASED_BEFORE_DECIDED,
      }),
    ]);
    expect(await stored()).toMatchObject({ status: "DECIDED", extensionsHandled: [1] });
  });
});

describe("a round's deadline", () => {
  it("is no later than the lease's end, when that comes before the policy's wait", async () => {
    const { ask, clock, endsAt, stored } = await approvedAndProvisioned("ext-deadline");
    clock.advance(7 * 86_400 - 3600);

    await ask(1, 20);

    expect(await stored()).toMatchObject({ status: "PENDING", extension: { n: 1 }, expiresAt: endsAt });
  });

  it("leaves nothing to decide once the lease has ended: the extension is refused at once", async () => {
    const { ask, clock, decided, stored } = await approvedAndProvisioned("ext-too-late");
    clock.advance(7 * 86_400);

    await ask(1, 20);

    expect(decided()).toEqual([
      expect.objectContaining({
        approved: false,
        reason: "the lease ends before anyone could decide the extension",
      }),
    ]);
    expect(await stored()).toMatchObject({ status: "DECIDED" });
  });
});

describe("a round's pages", () => {
  it("show what a round's link decides, decide with it, and refuse a link of the request's own approval", async () => {
    const { ask, mailRound, firstLinks, publishOwed, clock, decided } =
      await approvedAndProvisioned("ext-page");
    await ask(1, 20);
    const links = await mailRound();
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
    const open = (token: string) => app.request(`/decisions/approve?token=${encodeURIComponent(token)}`);

    const page = await open(links["cy@example.com"]?.approve ?? "");
    const text = await page.text();
    const old = await open(firstLinks["cy@example.com"]?.approve ?? "");
    const pressed = await app.request("/decisions/approve", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "sec-fetch-site": "same-origin",
        origin: "null",
      },
      body: new URLSearchParams({
        token: links["cy@example.com"]?.approve ?? "",
        reason: "",
        confirm: "approve",
      }).toString(),
    });

    expect(page.status).toBe(200);
    expect(text).toContain("Approve this extension?");
    expect(text).toMatch(/Extend the lease of .+ from .+ to .+: The load tests run another week/);
    expect(old.status).toBe(403);
    expect(await pressed.text()).toContain("Extension of request ext-page approved");
    expect(decided()).toEqual([expect.objectContaining({ approved: true, decider: "cy@example.com" })]);
  });

  it("judge a round's link as a request's, and say an extension was decided once it is", async () => {
    const { ask, mailRound, decideWith, stored, clock } = await approvedAndProvisioned("ext-pages");
    await ask(1, 20);
    const links = await mailRound();
    await decideWith(links, "cy@example.com", "approve");
    const token = links["bob@example.com"]?.approve ?? "";

    const judgement = judgeDecision(
      await stored(),
      {
        requestId: "ext-pages",
        action: "approve",
        approver: "bob@example.com",
        expiresAt: new Date((await stored()).expiresAt),
      },
      hashToken(token),
      clock.now(),
    );

    expect(judgement).toMatchObject({
      decidable: false,
      refusal: { status: 410, title: "This extension has already been decided" },
    });
  });
});
