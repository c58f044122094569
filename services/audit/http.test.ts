import "../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../api/openapi.ts";
import { type RequestView, requestPageSchema, requestWithTimelineSchema } from "../../api/schemas.ts";
import { type RawEnvelope, refusalIdOf } from "../../events/index.ts";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { silentLogger } from "../../test/support/fakes.ts";
import {
  sampleBucketRequest,
  sampleDatabaseEstimate,
  sampleDatabaseRequest,
  sampleRequest,
  sampleUnknownBucketEstimate,
} from "../../test/support/fixtures.ts";
import {
  OPERATOR,
  startTestIdentityProvider,
  type TestIdentityProvider,
  type TestUser,
} from "../shared/testing/access-tokens.ts";
import { createFlowEventHandler } from "./handlers/on-flow-event.ts";
import { createAuditApp } from "./http.ts";
import { tables } from "./tables.ts";
import {
  APPROVER,
  FINAL_SNAPSHOT,
  INSTANCE_ID,
  invalidFlow,
  leaseFlow,
  PROVISIONED_DATABASE,
  provisionedFlow,
  rejectedFlow,
  secondsAfter,
} from "./testing/flows.ts";
import { testAggregatesStore, testAuditStore } from "./testing/store.ts";

const START = "2025-05-01T10:00:00Z";
const ANA = { email: "ana@example.com", name: "Ana" };
const BOB = { email: "Bob@Example.com", name: "Bob" };

/** Seven requests a minute apart (r1 oldest), from two requesters, in several statuses. */
const seededFlows: Record<string, RawEnvelope[]> = {
  r1: provisionedFlow(sampleRequest({ requestId: "r1", requester: ANA }), secondsAfter(START, 0)),
  r2: rejectedFlow(sampleRequest({ requestId: "r2", requester: BOB }), secondsAfter(START, 60)),
  r3: rejectedFlow(sampleRequest({ requestId: "r3", requester: ANA }), secondsAfter(START, 120)),
  r4: provisionedFlow(sampleRequest({ requestId: "r4", requester: ANA }), secondsAfter(START, 180)).slice(
    0,
    3,
  ),
  r5: provisionedFlow(sampleRequest({ requestId: "r5", requester: BOB }), secondsAfter(START, 240)),
  r6: rejectedFlow(sampleRequest({ requestId: "r6", requester: ANA }), secondsAfter(START, 300)),
  r7: invalidFlow("r7", secondsAfter(START, 360)),
};

/** r7 was refused, so it goes by its refusal's own id. */
const R7 = refusalIdOf("r7-0");

/** Readers of the seeded requests: the one approver every flow asks, and the two requesters. */
const ASKED_APPROVER: TestUser = { email: APPROVER.toUpperCase(), name: "Abe", groups: ["approvers"] };
const OTHER_APPROVER: TestUser = { email: "approver2@example.com", groups: ["approvers"] };
const ANA_SIGNED_IN: TestUser = { ...ANA, groups: ["requesters"] };
const BOB_SIGNED_IN: TestUser = { email: "bob@example.com", name: "Bob", groups: ["requesters"] };

interface Page {
  items: RequestView[];
  nextCursor?: string;
}

describe("the audit HTTP API", () => {
  let dynamo: TestDynamo;
  let app: ReturnType<typeof createAuditApp>;
  let identityProvider: TestIdentityProvider;

  /** Reads as an operator, who sees every request, unless `reader` says otherwise. */
  const getJson = async (path: string, reader: TestUser = OPERATOR) => {
    const response = await app.request(path, { headers: await identityProvider.authorizationOf(reader) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  /** Follows nextCursor from the first page to the last, as a client would. */
  const allPages = async (query: string, reader?: TestUser): Promise<Page[]> => {
    const pages: Page[] = [];
    let cursor: string | undefined;
    do {
      const suffix: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const { status, body } = await getJson(`/api/requests?${query}${suffix}`, reader);
      expect(status).toBe(200);
      const page = body as unknown as Page;
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor);
    return pages;
  };

  const idsOf = (pages: Page[]) => pages.flatMap((page) => page.items.map((item) => item.requestId));

  beforeAll(async () => {
    dynamo = await startTestDynamo(tables);
    identityProvider = await startTestIdentityProvider();
    const store = testAuditStore(dynamo);
    const logger = silentLogger();
    const handle = createFlowEventHandler({ store, aggregates: testAggregatesStore(dynamo), logger });
    for (const envelope of Object.values(seededFlows).flat()) await handle(envelope);
    app = createAuditApp(store, logger, identityProvider.verifyAccessToken);
  });
  afterAll(() => dynamo.close());

  describe("GET /api/requests", () => {
    it("lists every request, newest first, with their views", async () => {
      const { status, body } = await getJson("/api/requests");

      expect(status).toBe(200);
      const page = body as unknown as Page;
      expect(page.items.map((item) => item.requestId)).toEqual([R7, "r6", "r5", "r4", "r3", "r2", "r1"]);
      expect(page.items.map((item) => item.status)).toEqual([
        "INVALID",
        "REJECTED",
        "PROVISIONED",
        "PENDING_APPROVAL",
        "REJECTED",
        "REJECTED",
        "PROVISIONED",
      ]);
      expect(page).not.toHaveProperty("nextCursor");
    });

    it("pages through everything two at a time, each request once", async () => {
      const pages = await allPages("limit=2");

      expect(pages.map((page) => page.items.length)).toEqual([2, 2, 2, 1]);
      expect(idsOf(pages)).toEqual([R7, "r6", "r5", "r4", "r3", "r2", "r1"]);
    });

    it("filters by requester, whatever the case of the address", async () => {
      expect(idsOf(await allPages("requester=ana%40example.com&limit=2"))).toEqual(["r6", "r4", "r3", "r1"]);
      expect(idsOf(await allPages("requester=BOB%40example.COM&limit=2"))).toEqual([R7, "r5", "r2"]);
    });

    it("filters by status", async () => {
      expect(idsOf(await allPages("status=REJECTED&limit=2"))).toEqual(["r6", "r3", "r2"]);
      expect(idsOf(await allPages("status=PENDING_APPROVAL"))).toEqual(["r4"]);
      expect(idsOf(await allPages("status=FAILED"))).toEqual([]);
    });

    it("filters by requester and status together, page by page", async () => {
      const pages = await allPages("requester=ana%40example.com&status=REJECTED&limit=1");

      expect(pages.map((page) => page.items.map((item) => item.requestId))).toEqual([["r6"], ["r3"]]);
    });

    it("treats an empty filter as no filter", async () => {
      expect(idsOf(await allPages("requester=&status=&limit=7"))).toHaveLength(7);
    });

    it.each([
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["limit=ten", "limit"],
      ["limit=1.5", "limit"],
      ["status=DONE", "status"],
      ["status=rejected", "status"],
      ["requester=not-an-email", "requester"],
      ["cursor=%21%21%21", "cursor"],
      ["cursor=bm90IGpzb24", "cursor"],
      [`cursor=${Buffer.from(JSON.stringify({ requestId: "r1" })).toString("base64url")}`, "cursor"],
    ])("answers 400 naming the field for %s", async (query, field) => {
      const { status, body } = await getJson(`/api/requests?${query}`);

      expect(status).toBe(400);
      expect(body.fieldErrors).toEqual([expect.objectContaining({ field })]);
    });

    it("refuses a cursor from another listing", async () => {
      const { body } = await getJson("/api/requests?status=REJECTED&limit=1");
      const cursor = encodeURIComponent((body as unknown as Page).nextCursor ?? "");

      const { status } = await getJson(`/api/requests?requester=ana%40example.com&limit=1&cursor=${cursor}`);

      expect(status).toBe(400);
    });
  });

  describe("GET /api/requests/{id}", () => {
    it("answers the request's view with its whole timeline, oldest first", async () => {
      const { status, body } = await getJson("/api/requests/r1");

      expect(status).toBe(200);
      expect(body).toMatchObject({
        requestId: "r1",
        status: "PROVISIONED",
        requester: ANA,
        instanceId: expect.stringMatching(/^i-/),
        decision: expect.objectContaining({ outcome: "APPROVED" }),
      });
      const flow = seededFlows.r1 as RawEnvelope[];
      expect(body.timeline).toEqual(
        flow.map((envelope) => ({
          eventId: envelope.id,
          type: envelope["detail-type"],
          time: new Date(envelope.time).toISOString(),
          source: envelope.source,
          account: envelope.account,
          detail: envelope.detail,
          // The events that say how the request is decided, and what was created for it, come in words too.
          summary: {
            RequestApproved: `Request approved by ${APPROVER}`,
            ProvisioningStarted: `Launching instance ${INSTANCE_ID}`,
            ResourceProvisioned: `Instance ${INSTANCE_ID} running at 10.0.1.25`,
          }[envelope["detail-type"]],
        })),
      );
    });

    it("shows an invalid request's field errors and the refused detail", async () => {
      const { body } = await getJson(`/api/requests/${R7}`);

      expect(body.status).toBe("INVALID");
      expect(body.fieldErrors).toHaveLength(2);
      expect((body.timeline as { detail: unknown }[])[0]?.detail).toEqual(
        (seededFlows.r7 as RawEnvelope[])[0]?.detail,
      );
    });

    it("answers 404 in JSON for an unknown id", async () => {
      const { status, body } = await getJson("/api/requests/no-such-request");

      expect(status).toBe(404);
      expect(body.error).toEqual(expect.stringContaining("no-such-request"));
    });

    it.each([encodeURIComponent("bad id!"), "x".repeat(65)])(
      "answers 400 for the malformed id %s",
      async (id) => {
        const { status, body } = await getJson(`/api/requests/${id}`);

        expect(status).toBe(400);
        expect(body.fieldErrors).toEqual([expect.objectContaining({ field: "id" })]);
      },
    );

    it.each(["PUT", "DELETE", "PATCH"])("answers %s with 405 in JSON, allowing GET", async (method) => {
      const response = await app.request("/api/requests/r1", { method });

      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD");
      expect(await response.json()).toEqual({ error: expect.stringContaining(method) });
    });
  });

  describe("who sees which request", () => {
    it("shows a requester only their own requests, whatever the case of their address", async () => {
      expect(idsOf(await allPages("limit=2", ANA_SIGNED_IN))).toEqual(["r6", "r4", "r3", "r1"]);
      expect(idsOf(await allPages("", { ...BOB_SIGNED_IN, email: "BOB@example.com" }))).toEqual([
        R7,
        "r5",
        "r2",
      ]);
    });

    it("lets a requester's filters only narrow their own requests", async () => {
      expect(idsOf(await allPages("status=REJECTED", ANA_SIGNED_IN))).toEqual(["r6", "r3"]);
      expect(idsOf(await allPages("requester=ana%40example.com&limit=3", ANA_SIGNED_IN))).toEqual([
        "r6",
        "r4",
        "r3",
        "r1",
      ]);
      expect(idsOf(await allPages("requester=bob%40example.com", ANA_SIGNED_IN))).toEqual([]);
    });

    it("shows an approver the requests they are asked to decide, page by page, and not the others", async () => {
      expect(idsOf(await allPages("limit=2", ASKED_APPROVER))).toEqual(["r6", "r5", "r4", "r3", "r2", "r1"]);
      expect(idsOf(await allPages("status=REJECTED&limit=1", ASKED_APPROVER))).toEqual(["r6", "r3", "r2"]);
      expect(idsOf(await allPages("requester=bob%40example.com", ASKED_APPROVER))).toEqual(["r5", "r2"]);
      expect(idsOf(await allPages("", OTHER_APPROVER))).toEqual([]);
    });

    it("answers another user's request exactly as an unknown id", async () => {
      const unknown = await getJson("/api/requests/no-such-request", ANA_SIGNED_IN);
      const others = await getJson("/api/requests/r5", ANA_SIGNED_IN);

      expect(others.status).toBe(404);
      expect(others.body).toEqual({ error: "No request with id r5" });
      expect(unknown.body).toEqual({ error: "No request with id no-such-request" });
      expect((await getJson("/api/requests/r1", OTHER_APPROVER)).status).toBe(404);
      expect((await getJson(`/api/requests/${R7}`, ASKED_APPROVER)).status).toBe(404);
    });

    it("shows a request to its requester, to the approver asked to decide it and to an operator", async () => {
      for (const reader of [ANA_SIGNED_IN, ASKED_APPROVER, OPERATOR]) {
        const { status, body } = await getJson("/api/requests/r3", reader);
        expect({ reader: reader.email, status, requestId: body.requestId }).toEqual({
          reader: reader.email,
          status: 200,
          requestId: "r3",
        });
      }
    });

    it.each(["/api/requests", "/api/requests/r1"])(
      "answers 401 with a Bearer challenge at %s without a token",
      async (path) => {
        const response = await app.request(path);

        expect(response.status).toBe(401);
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm=/);
        expect(await response.json()).toEqual({ error: expect.stringContaining("Sign in") });
      },
    );
  });

  it("serves the whole API's OpenAPI 3.1 document at /api/openapi.json", async () => {
    const { status, body } = await getJson("/api/openapi.json");

    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    expect(body).toEqual(openApiDocument());
  });

  it("answers 404 in JSON for a path it does not serve", async () => {
    const { status, body } = await getJson("/api/requests/r1/timeline");

    expect(status).toBe(404);
    expect(body).toEqual({ error: expect.stringContaining("/api/requests/r1/timeline") });
  });
});

describe("the audit HTTP API, for databases and buckets", () => {
  let dynamo: TestDynamo;
  let app: ReturnType<typeof createAuditApp>;
  let identityProvider: TestIdentityProvider;

  const database = sampleDatabaseRequest({
    requestId: "db1",
    region: "eu-west-1",
    ...sampleDatabaseEstimate(),
  });
  const bucket = sampleBucketRequest({ requestId: "bucket1", ...sampleUnknownBucketEstimate() });

  beforeAll(async () => {
    dynamo = await startTestDynamo(tables);
    identityProvider = await startTestIdentityProvider();
    const store = testAuditStore(dynamo);
    const logger = silentLogger();
    const handle = createFlowEventHandler({ store, aggregates: testAggregatesStore(dynamo), logger });
    for (const request of [database, bucket]) {
      for (const envelope of provisionedFlow(request, START)) await handle(envelope);
    }
    app = createAuditApp(store, logger, identityProvider.verifyAccessToken);
  });
  afterAll(() => dynamo.close());

  const getView = async (requestId: string) => {
    const response = await app.request(`/api/requests/${requestId}`, {
      headers: await identityProvider.authorizationOf(OPERATOR),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as RequestView & { timeline: { type: string; summary?: string }[] };
  };

  it("answers a database's region, estimate and endpoint, and says its creation in words", async () => {
    const view = await getView("db1");

    expect(view).toMatchObject({
      status: "PROVISIONED",
      region: "eu-west-1",
      estimatedMonthlyCostUsd: 13.98,
      costEstimate: database.costEstimate,
      dbInstanceIdentifier: PROVISIONED_DATABASE.identifier,
      database: PROVISIONED_DATABASE,
    });
    expect(view.timeline.map(({ summary }) => summary).filter(Boolean)).toEqual([
      `Request approved by ${APPROVER}`,
      `Creating database ${PROVISIONED_DATABASE.identifier} in eu-west-1`,
      `Database ${PROVISIONED_DATABASE.identifier} available at ${PROVISIONED_DATABASE.host}:5432`,
    ]);
  });

  it("answers a bucket whose price is unknown with a null estimate, never 0", async () => {
    const view = await getView("bucket1");

    expect(view).toMatchObject({
      status: "PROVISIONED",
      estimatedMonthlyCostUsd: null,
      bucket: { name: "approvals-team-logs", arn: "arn:aws:s3:::approvals-team-logs", region: "us-east-1" },
    });
    expect(view.timeline.map(({ summary }) => summary).filter(Boolean)).toEqual([
      `Request approved by ${APPROVER}`,
      "Creating bucket approvals-team-logs in us-east-1",
      "Bucket approvals-team-logs ready in us-east-1",
    ]);
  });
});

describe("the audit HTTP API, for leases", () => {
  let dynamo: TestDynamo;
  let app: ReturnType<typeof createAuditApp>;
  let identityProvider: TestIdentityProvider;

  const database = sampleDatabaseRequest({ requestId: "db-leased", ...sampleDatabaseEstimate() });
  const databaseLease = leaseFlow(database, START);
  const bucket = sampleBucketRequest({ requestId: "bucket-leased", ...sampleUnknownBucketEstimate() });
  const bucketLease = leaseFlow(bucket, START);
  /** The API's clock: three days after the resources were provisioned. */
  const NOW = new Date(Date.parse(databaseLease.startedAt) + 3 * 86_400_000);

  beforeAll(async () => {
    dynamo = await startTestDynamo(tables);
    identityProvider = await startTestIdentityProvider();
    const store = testAuditStore(dynamo);
    const logger = silentLogger();
    const handle = createFlowEventHandler({ store, aggregates: testAggregatesStore(dynamo), logger });
    const flows = [
      [...provisionedFlow(database, START), ...databaseLease.started, ...databaseLease.released],
      [
        ...provisionedFlow(bucket, secondsAfter(START, 60)),
        ...leaseFlow(bucket, secondsAfter(START, 60)).started,
      ],
    ];
    for (const envelope of flows.flat()) await handle(envelope);
    app = createAuditApp(store, logger, identityProvider.verifyAccessToken, () => NOW);
  });
  afterAll(() => dynamo.close());

  const getJson = async (path: string) => {
    const response = await app.request(path, { headers: await identityProvider.authorizationOf(OPERATOR) });
    expect(response.status).toBe(200);
    return response.json();
  };

  it("answers a released database with its lease, its release, its cost up to the release, and each step in words", async () => {
    const view = requestWithTimelineSchema.parse(await getJson("/api/requests/db-leased"));

    expect(view).toMatchObject({
      status: "RELEASED",
      // It ended when it was released; the end it was planned to have stays on the lease.
      leaseEndsAt: databaseLease.extendedUntil,
      lease: {
        duration: "P7D",
        onEnd: "snapshot-and-delete",
        startedAt: databaseLease.startedAt,
        endsAt: databaseLease.endsAt,
        extensions: [],
        release: {
          reason: "lease-ended",
          outcome: "deleted",
          finalSnapshotIdentifier: FINAL_SNAPSHOT,
          releasedAt: secondsAfter(databaseLease.extendedUntil, 90),
        },
      },
      // Ten days and 90 seconds at $0.016 an hour and 20 GiB at $0.115 a GiB-month, whatever the clock says.
      costSoFar: { hours: 240.03, usd: 4.6, asOf: NOW.toISOString() },
    });
    expect(
      view.timeline
        .map(({ summary }) => summary)
        .filter(Boolean)
        .slice(-4),
    ).toEqual([
      "Lease started: ends Thu, 8 May 2025, 10:00 UTC (delete after a final snapshot)",
      "Reminder 1 sent: the lease ends Thu, 8 May 2025, 10:00 UTC (delete after a final snapshot)",
      "The lease ended: release asked (delete after a final snapshot)",
      `Released at the end of its lease: deleted, final snapshot ${FINAL_SNAPSHOT}`,
    ]);
  });

  it("answers a running bucket's hours so far, and its cost as unknown, never 0", async () => {
    const view = requestWithTimelineSchema.parse(await getJson("/api/requests/bucket-leased"));

    expect(view.status).toBe("PROVISIONED");
    expect(view.costSoFar).toEqual({ hours: 71.98, usd: null, asOf: NOW.toISOString() });
  });

  it("lists each request with its lease's end: planned while it runs, when it was released once released", async () => {
    const page = requestPageSchema.parse(await getJson("/api/requests"));

    expect(page.items.map(({ requestId, leaseEndsAt }) => [requestId, leaseEndsAt])).toEqual([
      ["bucket-leased", secondsAfter(bucketLease.endsAt, 60)],
      ["db-leased", databaseLease.extendedUntil],
    ]);
  });
});
