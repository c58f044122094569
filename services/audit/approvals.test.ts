import "../../test/support/service-environment.ts";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type AwaitingApproval, approvalListSchema } from "../../api/approvals.ts";
import type { RequestView } from "../../api/schemas.ts";
import type { RawEnvelope } from "../../events/index.ts";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { silentLogger } from "../../test/support/fakes.ts";
import { sampleRequest } from "../../test/support/fixtures.ts";
import {
  startTestIdentityProvider,
  type TestIdentityProvider,
  type TestUser,
} from "../shared/testing/access-tokens.ts";
import { createFlowEventHandler } from "./handlers/on-flow-event.ts";
import { createAuditApp } from "./http.ts";
import { tables } from "./tables.ts";
import {
  APPROVER,
  expiredFlow,
  FINANCE,
  leaseFlow,
  provisionedFlow,
  rejectedFlow,
  secondsAfter,
  TEAM_LEADS,
  twoStageFlow,
} from "./testing/flows.ts";
import { testAggregatesStore, testAuditStore } from "./testing/store.ts";

const START = "2025-05-01T10:00:00Z";
/** The first three events of a flow: requested, accepted, and approvers asked. */
const pendingFlow = (requestId: string, start: string) =>
  provisionedFlow(sampleRequest({ requestId }), start).slice(0, 3);

/** The approver every flow asks, signed in under another spelling of their address. */
const ASKED: TestUser = { email: APPROVER.toUpperCase(), name: "Abe", groups: ["approvers"] };
const NOT_ASKED: TestUser = { email: "approver2@example.com", groups: ["approvers"] };

describe("GET /api/approvals: what awaits the signed-in approver's decision", () => {
  let dynamo: TestDynamo;
  let app: ReturnType<typeof createAuditApp>;
  let identityProvider: TestIdentityProvider;

  const listAs = async (reader: TestUser) => {
    const response = await app.request("/api/approvals", {
      headers: await identityProvider.authorizationOf(reader),
    });
    return { status: response.status, body: (await response.json()) as { items?: RequestView[] } };
  };

  beforeAll(async () => {
    dynamo = await startTestDynamo(tables);
    identityProvider = await startTestIdentityProvider();
    const store = testAuditStore(dynamo);
    const logger = silentLogger();
    const handle = createFlowEventHandler({ store, aggregates: testAggregatesStore(dynamo), logger });
    const flows = [
      pendingFlow("p1", secondsAfter(START, 0)),
      rejectedFlow(sampleRequest({ requestId: "decided" }), secondsAfter(START, 60)),
      expiredFlow(sampleRequest({ requestId: "expired" }), secondsAfter(START, 120)),
      pendingFlow("p2", secondsAfter(START, 180)),
    ];
    for (const envelope of flows.flat()) await handle(envelope);
    app = createAuditApp(store, logger, identityProvider.verifyAccessToken);
  });
  afterAll(() => dynamo.close());

  it("lists the pending requests the approver was asked about, newest first, whatever the case of their email", async () => {
    const { status, body } = await listAs(ASKED);

    expect(status).toBe(200);
    expect(body.items?.map((item) => [item.requestId, item.status])).toEqual([
      ["p2", "PENDING_APPROVAL"],
      ["p1", "PENDING_APPROVAL"],
    ]);
    expect(body.items?.[0]).toMatchObject({ approvers: [APPROVER], resource: { name: "build-box" } });
  });

  it("lists nothing for an approver nobody asked", async () => {
    expect(await listAs(NOT_ASKED)).toEqual({ status: 200, body: { items: [] } });
  });

  it("admits only approvers: 403 for a requester, 401 without a token", async () => {
    const requester = await listAs({ email: "ana@example.com", groups: ["requesters"] });
    const anonymous = await app.request("/api/approvals");

    expect(requester.status).toBe(403);
    expect(anonymous.status).toBe(401);
  });
});

describe("GET /api/approvals under a policy with stages", () => {
  let dynamo: TestDynamo;
  let identityProvider: TestIdentityProvider;
  const request = sampleRequest({ requestId: "staged" });
  const flow = twoStageFlow(request, START);
  const [LEAD_A, LEAD_B, LEAD_C] = TEAM_LEADS;

  /** Who sees the request among what awaits them, once the audit trail has these events. */
  const awaitingAfter = async (...steps: (typeof flow.opened)[]) => {
    const store = testAuditStore(dynamo);
    const logger = silentLogger();
    const handle = createFlowEventHandler({ store, aggregates: testAggregatesStore(dynamo), logger });
    for (const envelope of steps.flat()) await handle(envelope);
    const app = createAuditApp(store, logger, identityProvider.verifyAccessToken);
    const who: string[] = [];
    for (const email of [...TEAM_LEADS, FINANCE]) {
      const response = await app.request("/api/approvals", {
        headers: await identityProvider.authorizationOf({ email, groups: ["approvers"] }),
      });
      const { items } = (await response.json()) as { items: RequestView[] };
      if (items.some((item) => item.requestId === request.requestId)) who.push(email);
    }
    return who;
  };

  beforeAll(async () => {
    dynamo = await startTestDynamo(tables);
    identityProvider = await startTestIdentityProvider();
  });
  afterAll(() => dynamo.close());

  it("awaits the stage asking now, minus those who approved already, then the next stage", async () => {
    expect(await awaitingAfter(flow.opened)).toEqual([LEAD_A, LEAD_B, LEAD_C]);
    expect(await awaitingAfter(flow.firstVote)).toEqual([LEAD_B, LEAD_C]);
    expect(await awaitingAfter(flow.firstStageDone)).toEqual([FINANCE]);
    expect(await awaitingAfter(flow.approved)).toEqual([]);
  });
});

describe("GET /api/approvals for an extension of a lease", () => {
  let dynamo: TestDynamo;
  let identityProvider: TestIdentityProvider;
  const request = sampleRequest({ requestId: "extending" });
  const provisioned = provisionedFlow(request, START);
  const lease = leaseFlow(request, START);
  const [LEAD_A] = TEAM_LEADS;

  /** What awaits each of lead-a and the request's own approver, once the audit trail has these events. */
  const awaitingAfter = async (...steps: RawEnvelope[][]) => {
    const store = testAuditStore(dynamo);
    const logger = silentLogger();
    const handle = createFlowEventHandler({ store, aggregates: testAggregatesStore(dynamo), logger });
    for (const envelope of steps.flat()) await handle(envelope);
    const app = createAuditApp(store, logger, identityProvider.verifyAccessToken);
    const awaiting: Record<string, AwaitingApproval[]> = {};
    for (const email of [LEAD_A, APPROVER]) {
      const response = await app.request("/api/approvals", {
        headers: await identityProvider.authorizationOf({ email, groups: ["approvers"] }),
      });
      awaiting[email] = approvalListSchema.parse(await response.json()).items;
    }
    return awaiting;
  };

  beforeEach(async () => {
    dynamo = await startTestDynamo(tables);
  });
  afterEach(() => dynamo.close());
  beforeAll(async () => {
    identityProvider = await startTestIdentityProvider();
  });

  it("lists the provisioned request again for the approver its round asks, with the extension it is about", async () => {
    const awaiting = await awaitingAfter(provisioned, lease.started, lease.extensionAsked);

    expect(awaiting[LEAD_A]).toEqual([
      expect.objectContaining({
        requestId: "extending",
        status: "PROVISIONED",
        // The round's own deadline, not the request's long past one.
        extension: { ...lease.extension, expiresAt: lease.roundExpiresAt },
      }),
    ]);
    expect(awaiting[APPROVER]).toEqual([]);
  });

  it("lists it no more once the extension is decided, approved or refused", async () => {
    expect(
      await awaitingAfter(provisioned, lease.started, lease.extensionAsked, lease.extensionApproved),
    ).toEqual({
      [LEAD_A]: [],
      [APPROVER]: [],
    });
    expect(
      await awaitingAfter(provisioned, lease.started, lease.extensionAsked, lease.extensionRefused),
    ).toEqual({
      [LEAD_A]: [],
      [APPROVER]: [],
    });
  });
});
