import "../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DelegationChanged } from "../../events/delegation-changed.ts";
import { ensureTables } from "../../infra/local/tables.ts";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { silentLogger } from "../../test/support/fakes.ts";
import { recordingPublisher } from "../../test/support/recording-publisher.ts";
import {
  APPROVER,
  REQUESTER,
  startTestIdentityProvider,
  type TestIdentityProvider,
  type TestUser,
} from "../shared/testing/access-tokens.ts";
import { createDelegationApp } from "./http.ts";
import { createDelegationStore } from "./store.ts";
import { delegationsTable, tables } from "./tables.ts";

const NOW = new Date("2026-12-07T12:00:00.000Z");
const DEPUTY: TestUser = { email: "Deputy@Example.com", name: "Dee", groups: ["approvers"] };
const OTHER: TestUser = { email: "other@example.com", name: "Oli", groups: ["approvers"] };

let dynamo: TestDynamo;
let identityProvider: TestIdentityProvider;
beforeAll(async () => {
  dynamo = await startTestDynamo(tables);
  identityProvider = await startTestIdentityProvider();
});
afterAll(() => dynamo.close());

const week = (delegate: string) => ({
  from: "2026-12-08T09:00:00.000Z",
  to: "2026-12-15T09:00:00.000Z",
  delegate,
});

/** A fresh table for each test: approvers' delegations would otherwise meet across tests. */
let tableCount = 0;
const delegationApi = async () => {
  const tableName = `${delegationsTable.id}-${++tableCount}`;
  await ensureTables(dynamo.client, [{ ...delegationsTable, id: tableName }]);
  const publisher = recordingPublisher();
  const app = createDelegationApp({
    store: createDelegationStore(dynamo.document, tableName),
    publish: publisher.publish,
    now: () => NOW,
    logger: silentLogger(),
    verifyAccessToken: identityProvider.verifyAccessToken,
  });
  const call = async (user: TestUser, method: "GET" | "PUT" | "DELETE", body?: unknown) => {
    const response = await app.request("/api/delegations/mine", {
      method,
      headers: {
        ...(await identityProvider.authorizationOf(user)),
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() };
  };
  return { publisher, call };
};

describe("an approver's delegations", () => {
  it("are none until set", async () => {
    const { call } = await delegationApi();

    expect(await call(APPROVER, "GET")).toEqual({
      status: 200,
      body: { approver: APPROVER.email, windows: [] },
    });
  });

  it("keep a window set, the delegate in lower case, and announce every window the approver has", async () => {
    const { call, publisher } = await delegationApi();

    const set = await call(APPROVER, "PUT", week(DEPUTY.email));

    const windows = [week("deputy@example.com")];
    expect(set).toEqual({ status: 200, body: { approver: APPROVER.email, windows } });
    expect((await call(APPROVER, "GET")).body).toEqual({ approver: APPROVER.email, windows });
    expect(publisher.eventsOf(DelegationChanged).map((event) => event.detail)).toEqual([
      { approver: APPROVER.email, windows, changedAt: NOW.toISOString() },
    ]);
  });

  it("are cleared whole, and the clearing announced", async () => {
    const { call, publisher } = await delegationApi();
    await call(APPROVER, "PUT", week(DEPUTY.email));

    expect(await call(APPROVER, "DELETE")).toEqual({
      status: 200,
      body: { approver: APPROVER.email, windows: [] },
    });
    expect((await call(APPROVER, "GET")).body.windows).toEqual([]);
    expect(publisher.eventsOf(DelegationChanged).at(-1)?.detail.windows).toEqual([]);
  });

  it("refuse a delegate who is away then, naming delegate, and a cycle among them", async () => {
    const { call, publisher } = await delegationApi();
    await call(DEPUTY, "PUT", week(OTHER.email));

    const chained = await call(APPROVER, "PUT", week(DEPUTY.email));
    const cycle = await call(OTHER, "PUT", week(DEPUTY.email));

    for (const refused of [chained, cycle]) {
      expect(refused.status).toBe(400);
      expect(refused.body.fieldErrors).toEqual([
        { field: "delegate", message: expect.stringContaining("is away themselves") },
      ]);
    }
    expect(publisher.eventsOf(DelegationChanged)).toHaveLength(1);
  });

  it("refuse a body naming each field that is wrong", async () => {
    const { call } = await delegationApi();

    const refused = await call(APPROVER, "PUT", { from: "tomorrow", to: NOW.toISOString(), delegate: "x" });

    expect(refused.status).toBe(400);
    expect(refused.body.fieldErrors.map(({ field }: { field: string }) => field).sort()).toEqual([
      "delegate",
      "from",
    ]);
  });

  it("answer 503 when the change could not be announced, and announce it when sent again", async () => {
    const { call, publisher } = await delegationApi();
    publisher.failNext();

    expect((await call(APPROVER, "PUT", week(DEPUTY.email))).status).toBe(503);
    expect((await call(APPROVER, "PUT", week(DEPUTY.email))).status).toBe(200);
    expect(publisher.eventsOf(DelegationChanged)).toHaveLength(1);
  });

  it("are for approvers only", async () => {
    const { call } = await delegationApi();

    expect((await call(REQUESTER, "GET")).status).toBe(403);
  });
});
