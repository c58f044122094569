import "../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../api/openapi.ts";
import type { RequestView } from "../../api/schemas.ts";
import type { RawEnvelope } from "../../events/index.ts";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { silentLogger } from "../../test/support/fakes.ts";
import { sampleRequest } from "../../test/support/fixtures.ts";
import { createFlowEventHandler } from "./handlers/on-flow-event.ts";
import { createAuditApp } from "./http.ts";
import { createAuditStore } from "./store.ts";
import { auditRequestsTable, auditTimelineTable, tables } from "./tables.ts";
import { invalidFlow, provisionedFlow, rejectedFlow, secondsAfter } from "./testing/flows.ts";

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

interface Page {
  items: RequestView[];
  nextCursor?: string;
}

describe("the audit HTTP API", () => {
  let dynamo: TestDynamo;
  let app: ReturnType<typeof createAuditApp>;

  const getJson = async (path: string) => {
    const response = await app.request(path);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  /** Follows nextCursor from the first page to the last, as a client would. */
  const allPages = async (query: string): Promise<Page[]> => {
    const pages: Page[] = [];
    let cursor: string | undefined;
    do {
      const suffix: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const { status, body } = await getJson(`/api/requests?${query}${suffix}`);
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
    const store = createAuditStore(dynamo.document, {
      requests: auditRequestsTable.id,
      timeline: auditTimelineTable.id,
    });
    const logger = silentLogger();
    const handle = createFlowEventHandler({ store, logger });
    for (const envelope of Object.values(seededFlows).flat()) await handle(envelope);
    app = createAuditApp(store, logger);
  });
  afterAll(() => dynamo.close());

  describe("GET /api/requests", () => {
    it("lists every request, newest first, with their views", async () => {
      const { status, body } = await getJson("/api/requests");

      expect(status).toBe(200);
      const page = body as unknown as Page;
      expect(page.items.map((item) => item.requestId)).toEqual(["r7", "r6", "r5", "r4", "r3", "r2", "r1"]);
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
      expect(idsOf(pages)).toEqual(["r7", "r6", "r5", "r4", "r3", "r2", "r1"]);
    });

    it("filters by requester, whatever the case of the address", async () => {
      expect(idsOf(await allPages("requester=ana%40example.com&limit=2"))).toEqual(["r6", "r4", "r3", "r1"]);
      expect(idsOf(await allPages("requester=BOB%40example.COM&limit=2"))).toEqual(["r7", "r5", "r2"]);
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
          detail: envelope.detail,
        })),
      );
    });

    it("shows an invalid request's field errors and the refused detail", async () => {
      const { body } = await getJson("/api/requests/r7");

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
