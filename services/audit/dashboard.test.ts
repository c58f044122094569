import "../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Dashboard } from "../../api/dashboard.ts";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { silentLogger } from "../../test/support/fakes.ts";
import { sampleDatabaseEstimate, sampleRequest } from "../../test/support/fixtures.ts";
import {
  APPROVER,
  OPERATOR,
  REQUESTER,
  startTestIdentityProvider,
  type TestIdentityProvider,
  type TestUser,
} from "../shared/testing/access-tokens.ts";
import { createFlowEventHandler } from "./handlers/on-flow-event.ts";
import { createAuditApp, serveDashboard } from "./http.ts";
import { tables } from "./tables.ts";
import {
  APPROVER as ASKED,
  failedFlow,
  provisionedFlow,
  rejectedFlow,
  secondsAfter,
} from "./testing/flows.ts";
import { testAggregatesStore, testAuditStore } from "./testing/store.ts";

const START = "2025-03-10T09:00:00Z";

describe("GET /api/dashboard", () => {
  let dynamo: TestDynamo;
  let app: ReturnType<typeof createAuditApp>;
  let identityProvider: TestIdentityProvider;

  const getAs = async (reader: TestUser, query: string) => {
    const response = await app.request(`/api/dashboard?${query}`, {
      headers: await identityProvider.authorizationOf(reader),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    dynamo = await startTestDynamo(tables);
    identityProvider = await startTestIdentityProvider();
    const store = testAuditStore(dynamo);
    const aggregates = testAggregatesStore(dynamo);
    const logger = silentLogger();
    const handle = createFlowEventHandler({ store, aggregates, logger });
    const estimated = (requestId: string) => ({
      ...sampleRequest({ requestId }),
      ...sampleDatabaseEstimate(),
    });
    const flows = [
      provisionedFlow(estimated("built"), START),
      rejectedFlow(sampleRequest({ requestId: "refused" }), secondsAfter(START, 86_400)),
      failedFlow(sampleRequest({ requestId: "broken" }), secondsAfter(START, 86_400)),
      // Still waiting for the approver the flows ask.
      provisionedFlow(sampleRequest({ requestId: "waiting" }), secondsAfter(START, 2 * 86_400)).slice(0, 3),
    ];
    for (const envelope of flows.flat()) await handle(envelope);
    app = serveDashboard(
      createAuditApp(store, logger, identityProvider.verifyAccessToken),
      store,
      aggregates,
      identityProvider.verifyAccessToken,
    );
  });
  afterAll(() => dynamo.close());

  it("answers an operator the range's series, one number per day, and what is pending now", async () => {
    const { status, body } = await getAs(OPERATOR, "from=2025-03-10&to=2025-03-12");
    expect(status).toBe(200);
    const dashboard = body as unknown as Dashboard;
    expect(dashboard.days).toEqual(["2025-03-10", "2025-03-11", "2025-03-12"]);
    expect(dashboard.requestsByStatus).toEqual([
      { status: "SUBMITTED", counts: [1, 2, 1] },
      { status: "APPROVED", counts: [1, 1, 0] },
      { status: "REJECTED", counts: [0, 1, 0] },
      { status: "PROVISIONED", counts: [1, 0, 0] },
      { status: "FAILED", counts: [0, 1, 0] },
    ]);
    expect(dashboard.timeToDecision).toMatchObject({ decisions: 3, p50Minutes: 1, p90Minutes: 1 });
    expect(dashboard.pendingByApprover).toEqual([{ approver: ASKED, pending: 1 }]);
    expect(dashboard.provisioning).toEqual({ succeeded: 1, failed: 1, successRate: 0.5 });
    expect(dashboard.costByRequester).toEqual([{ requester: "ana@example.com", monthlyUsd: 13.98 }]);
    expect(dashboard.costByResourceType).toEqual([{ resourceType: "ec2", monthlyUsd: 13.98 }]);
  });

  it("counts only the days asked for", async () => {
    const { body } = await getAs(OPERATOR, "from=2025-03-11&to=2025-03-11");
    expect((body as unknown as Dashboard).requestsByStatus).toContainEqual({
      status: "SUBMITTED",
      counts: [2],
    });
    expect((body as unknown as Dashboard).costByRequester).toEqual([]);
  });

  it.each([REQUESTER, APPROVER])("refuses $email, who is not an operator, with 403", async (reader) => {
    expect((await getAs(reader, "from=2025-03-10&to=2025-03-12")).status).toBe(403);
  });

  it("refuses a caller without a token with 401", async () => {
    expect((await app.request("/api/dashboard?from=2025-03-10&to=2025-03-12")).status).toBe(401);
  });

  it.each([
    ["from", "to=2025-03-12", "YYYY-MM-DD"],
    ["from", "from=10/03/2025&to=2025-03-12", "YYYY-MM-DD"],
    ["to", "from=2025-02-01&to=2025-02-30", "YYYY-MM-DD"],
    ["to", "from=2025-03-12&to=2025-03-10", "must not be before from"],
    ["to", "from=2024-01-01&to=2025-01-01", "at most 366 days"],
  ])("refuses a range whose %s is wrong (%s) with 400 naming it", async (field, query, message) => {
    const { status, body } = await getAs(OPERATOR, query);
    expect(status).toBe(400);
    expect(body.fieldErrors).toEqual([{ field, message: expect.stringContaining(message) }]);
  });

  it("answers a whole year, leap day and all", async () => {
    expect((await getAs(OPERATOR, "from=2024-01-01&to=2024-12-31")).status).toBe(200);
  });
});
