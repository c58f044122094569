import "../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResourceRequested } from "../../events/resource-requested.ts";
import { silentLogger } from "../../test/support/fakes.ts";
import { sampleRequestContent } from "../../test/support/fixtures.ts";
import { recordingPublisher } from "../../test/support/recording-publisher.ts";
import { MAX_JSON_BODY_BYTES } from "../shared/http.ts";
import {
  OPERATOR,
  REQUESTER,
  startTestIdentityProvider,
  type TestIdentityProvider,
  type TestUser,
} from "../shared/testing/access-tokens.ts";
import { createEstimator } from "./cost/estimator.ts";
import type { IntakeRules } from "./domain.ts";
import { createIntakeApp, randomRequestId } from "./http.ts";
import { startTestPriceList, type TestPriceList } from "./testing/price-list.ts";
import { startTestStore, type TestStore } from "./testing/store.ts";

const NOW = new Date("2025-03-01T12:00:00.000Z");
const JSON_HEADERS = { "content-type": "application/json" };

let testStore: TestStore;
let prices: TestPriceList;
let identityProvider: TestIdentityProvider;
/** The sample request's requester, as the identity provider names her. */
let requesterAuthorization: Record<string, string>;
beforeAll(async () => {
  testStore = await startTestStore();
  prices = await startTestPriceList();
  identityProvider = await startTestIdentityProvider();
  requesterAuthorization = await identityProvider.authorizationOf(REQUESTER);
});
afterAll(async () => {
  testStore.dynamo.close();
  await prices.close();
});

/** Two allowed regions, so a region other than the default can be asked for; buckets named for the team. */
const RULES: IntakeRules = {
  allowedRegions: ["us-east-1", "eu-west-1"],
  defaultRegion: "us-east-1",
  bucketNamePrefix: "team-",
  lease: { min: "PT1H", max: "P90D" },
};

const intake = () => {
  const publisher = recordingPublisher();
  const app = createIntakeApp({
    store: testStore.store,
    publish: publisher.publish,
    newRequestId: randomRequestId,
    now: () => NOW,
    logger: silentLogger(),
    verifyAccessToken: identityProvider.verifyAccessToken,
    rules: RULES,
    estimate: createEstimator({ priceList: prices.priceList, logger: silentLogger(), now: () => NOW }),
  });
  /** Posts as the sample request's requester unless `authorization` says otherwise. */
  const post = (
    body: unknown,
    headers: Record<string, string> = JSON_HEADERS,
    authorization: Record<string, string> = requesterAuthorization,
  ) =>
    app.request("/api/requests", {
      method: "POST",
      headers: { ...authorization, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  return { app, publisher, post };
};

/** The test provider's id of the sample request's requester (`sub-` and her email). */
const REQUESTER_SUBJECT = "sub-ana@example.com";

/**
 * The sample request as intake files it for its signed-in requester: with her subject from the token,
 * in the default region.
 */
const filedByRequester = (requestId: string) => {
  const content = sampleRequestContent();
  return {
    ...content,
    requester: { ...content.requester, subject: REQUESTER_SUBJECT },
    requestId,
    region: "us-east-1",
  };
};

let idCounter = 0;
/** Each test uses ids of its own: they share one table. */
const freshId = (label: string) => `http-${label}-${++idCounter}`;

describe("POST /api/requests", () => {
  it("answers 202 with a generated id, stores the submission and publishes ResourceRequested with that id", async () => {
    const { publisher, post } = intake();

    const response = await post(sampleRequestContent());

    expect(response.status).toBe(202);
    const body = await response.json();
    expect(body).toEqual({ requestId: expect.stringMatching(/^req_[0-9a-f]{20}$/), status: "SUBMITTED" });
    expect(publisher.detailsOf(ResourceRequested)).toEqual([filedByRequester(body.requestId)]);
    const stored = await testStore.store.getRequest(body.requestId);
    expect(stored).toMatchObject({
      request: filedByRequester(body.requestId),
      submittedAt: NOW.toISOString(),
      submissionPublished: true,
    });
  });

  it("generates a different id for each submission without one", async () => {
    const { post } = intake();

    const first = await (await post(sampleRequestContent())).json();
    const second = await (await post(sampleRequestContent())).json();

    expect(second.requestId).not.toBe(first.requestId);
  });

  it("keeps the requestId the caller chose", async () => {
    const { publisher, post } = intake();
    const requestId = freshId("chosen");

    const response = await post({ ...sampleRequestContent(), requestId });

    expect(await response.json()).toEqual({ requestId, status: "SUBMITTED" });
    expect(publisher.detailsOf(ResourceRequested)[0]?.requestId).toBe(requestId);
  });

  it("answers 400 naming every bad field, and stores and publishes nothing", async () => {
    const { publisher, post } = intake();
    const requestId = freshId("invalid");
    const detail = sampleRequestContent();

    const response = await post({
      ...detail,
      requestId,
      requester: { email: "not-an-email" },
      resource: { ...detail.resource, volume: { sizeGiB: 7, type: "gp3" } },
      colour: "blue",
    });

    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.fieldErrors).toEqual(
      expect.arrayContaining([
        { field: "requester.email", message: "must be a valid email address" },
        { field: "resource.volume.sizeGiB", message: "must be at least 8" },
        { field: "colour", message: "is not a recognised field" },
      ]),
    );
    expect(body.error).toContain("requester.email");
    expect(publisher.published).toEqual([]);
    expect(await testStore.store.getRequest(requestId)).toBeUndefined();
  });

  it("answers an exact repeat with the same answer and publishes no second event", async () => {
    const { publisher, post } = intake();
    const requestId = freshId("repeat");

    const first = await post({ ...sampleRequestContent(), requestId });
    const repeat = await post({ ...sampleRequestContent(), requestId });

    expect(repeat.status).toBe(first.status);
    expect(await repeat.json()).toEqual(await first.json());
    expect(publisher.published).toHaveLength(1);
  });

  it("answers 409 naming requestId when the id is reused with a different body", async () => {
    const { publisher, post } = intake();
    const requestId = freshId("reused");
    await post({ ...sampleRequestContent(), requestId });

    const response = await post({
      ...sampleRequestContent(),
      requestId,
      justification: "Something else entirely",
    });

    expect(response.status).toBe(409);
    const body = await response.json();
    expect(body.error).toContain(requestId);
    expect(body.fieldErrors).toEqual([
      { field: "requestId", message: expect.stringContaining("already used") },
    ]);
    expect(publisher.published).toHaveLength(1);
    expect((await testStore.store.getRequest(requestId))?.request.justification).toBe(
      sampleRequestContent().justification,
    );
  });

  it("answers 503 with the requestId when publishing fails, and the repeat publishes it", async () => {
    const { publisher, post } = intake();
    publisher.failNext();

    const failed = await post(sampleRequestContent());

    expect(failed.status).toBe(503);
    const { requestId, error } = await failed.json();
    expect(error).toContain("same requestId");
    expect(publisher.published).toEqual([]);

    const repeat = await post({ ...sampleRequestContent(), requestId });

    expect(repeat.status).toBe(202);
    expect(await repeat.json()).toEqual({ requestId, status: "SUBMITTED" });
    expect(publisher.detailsOf(ResourceRequested)).toEqual([filedByRequester(requestId)]);
  });

  it("answers 400 for a body that is not JSON", async () => {
    const { publisher, post } = intake();

    const response = await post("{ requester: ana");

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: "Request is invalid: body is not valid JSON",
      fieldErrors: [{ field: "", message: "is not valid JSON" }],
    });
    expect(publisher.published).toEqual([]);
  });

  it("answers 400 for JSON that is not an object", async () => {
    const { post } = intake();

    const response = await post("[1, 2, 3]");

    expect(response.status).toBe(400);
    expect((await response.json()).fieldErrors).toEqual([{ field: "", message: "must be a JSON object" }]);
  });

  it.each(["text/plain", "application/jsonx", "application/json-patch+json"])(
    "answers 415 for a body declared as %s",
    async (contentType) => {
      const { publisher, post } = intake();

      const response = await post(JSON.stringify(sampleRequestContent()), { "content-type": contentType });

      expect(response.status).toBe(415);
      expect(await response.json()).toEqual({ error: "Content-Type must be application/json" });
      expect(publisher.published).toEqual([]);
    },
  );

  it("accepts application/json with parameters and in any case", async () => {
    const { post } = intake();

    const response = await post(JSON.stringify(sampleRequestContent()), {
      "content-type": "Application/JSON; charset=utf-8",
    });

    expect(response.status).toBe(202);
  });

  it("answers 415 for a compressed body, which it would otherwise read as JSON", async () => {
    const { publisher, post } = intake();

    const response = await post(JSON.stringify(sampleRequestContent()), {
      "content-type": "application/json",
      "content-encoding": "gzip",
    });

    expect(response.status).toBe(415);
    expect(publisher.published).toEqual([]);
  });

  it("answers 413 for a body above the limit", async () => {
    const { publisher, post } = intake();

    const response = await post({
      ...sampleRequestContent(),
      justification: "x".repeat(MAX_JSON_BODY_BYTES),
    });

    expect(response.status).toBe(413);
    // The unread rest of the body is on the connection: the client must not send more down it.
    expect(response.headers.get("connection")).toBe("close");
    expect((await response.json()).error).toContain(String(MAX_JSON_BODY_BYTES));
    expect(publisher.published).toEqual([]);
  });

  it("answers 413 for a chunked body above the limit, without reading the body to its end", async () => {
    const { app, publisher } = intake();
    const chunk = new TextEncoder().encode("x".repeat(1024));
    const chunkCount = (4 * MAX_JSON_BODY_BYTES) / chunk.length;
    let chunksRead = 0;
    // A stream declares no content-length: only counting what arrives can refuse it.
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (chunksRead === chunkCount) return controller.close();
        chunksRead += 1;
        controller.enqueue(chunk);
      },
    });

    const response = await app.request("/api/requests", {
      method: "POST",
      headers: { ...requesterAuthorization, ...JSON_HEADERS },
      body,
      duplex: "half",
    } as RequestInit);

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      error: `Request body must be at most ${MAX_JSON_BODY_BYTES} bytes`,
    });
    expect(chunksRead).toBeLessThan(chunkCount);
    expect(publisher.published).toEqual([]);
  });

  it("stores and publishes markup in the justification exactly as given, and answers only JSON", async () => {
    const { publisher, post } = intake();
    const markup = `<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"`;

    const response = await post({ ...sampleRequestContent(), justification: markup });

    expect(response.status).toBe(202);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const { requestId } = await response.json();
    expect((await testStore.store.getRequest(requestId))?.request.justification).toBe(markup);
    expect(publisher.detailsOf(ResourceRequested)[0]?.justification).toBe(markup);
  });

  it("does not echo markup from a refused field back in the error", async () => {
    const { post } = intake();

    const response = await post({
      ...sampleRequestContent(),
      resource: { ...sampleRequestContent().resource, instanceType: "<script>alert(1)</script>" },
    });

    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.text()).not.toContain("<script>");
  });

  describe("who the requester is", () => {
    const { requester: _requester, ...withoutRequester } = sampleRequestContent();
    const asUser = async (user: TestUser) => identityProvider.authorizationOf(user);

    it("takes the requester from the access token when the body leaves it out, with the provider's id of them", async () => {
      const { publisher, post } = intake();
      const caller = { email: "Carla@Example.com", name: "Carla", groups: ["requesters"] } as const;

      const response = await post(withoutRequester, JSON_HEADERS, await asUser(caller));

      expect(response.status).toBe(202);
      expect(publisher.detailsOf(ResourceRequested)[0]?.requester).toEqual({
        email: "Carla@Example.com",
        name: "Carla",
        subject: "sub-carla@example.com",
      });
    });

    it("accepts a body naming the caller whatever the case, and still names them as the token does", async () => {
      const { publisher, post } = intake();

      const response = await post({
        ...withoutRequester,
        requester: { email: REQUESTER.email.toUpperCase(), name: "Someone I made up" },
      });

      expect(response.status).toBe(202);
      expect(publisher.detailsOf(ResourceRequested)[0]?.requester).toEqual({
        email: REQUESTER.email,
        name: REQUESTER.name,
        subject: REQUESTER_SUBJECT,
      });
    });

    it("refuses a body naming a subject with 400 naming requester.subject: only the token says who asks", async () => {
      const { publisher, post } = intake();
      const requestId = freshId("subject");

      const response = await post({
        ...withoutRequester,
        requestId,
        requester: { email: REQUESTER.email, subject: "sub-someone-else" },
      });

      expect(response.status).toBe(400);
      expect((await response.json()).fieldErrors).toEqual([
        { field: "requester.subject", message: "is not a recognised field" },
      ]);
      expect(publisher.published).toEqual([]);
      expect(await testStore.store.getRequest(requestId)).toBeUndefined();
    });

    it("refuses a body naming another requester with 400 naming requester, storing and publishing nothing", async () => {
      const { publisher, post } = intake();
      const requestId = freshId("impostor");

      const response = await post({
        ...withoutRequester,
        requestId,
        requester: { email: "approver+me@example.com", name: "Not Ana" },
      });

      expect(response.status).toBe(400);
      expect((await response.json()).fieldErrors).toEqual([
        { field: "requester", message: expect.stringContaining("signed-in user") },
      ]);
      expect(publisher.published).toEqual([]);
      expect(await testStore.store.getRequest(requestId)).toBeUndefined();
    });

    it("answers 401 with a Bearer challenge to a caller without a token, before reading the body", async () => {
      const { publisher, post } = intake();

      const response = await post("not even JSON", JSON_HEADERS, {});

      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect(publisher.published).toEqual([]);
    });

    it("answers 403 to a signed-in user who is not a requester", async () => {
      const { publisher, post } = intake();

      const response = await post(withoutRequester, JSON_HEADERS, await asUser(OPERATOR));

      expect(response.status).toBe(403);
      expect((await response.json()).error).toContain("requesters");
      expect(publisher.published).toEqual([]);
    });
  });
});

describe("POST /api/requests: regions and bucket names", () => {
  it("answers 400 naming region and the allowed regions for a region outside them, storing and publishing nothing", async () => {
    const { publisher, post } = intake();
    const requestId = freshId("far-region");

    const response = await post({ ...sampleRequestContent(), requestId, region: "ap-south-1" });

    expect(response.status).toBe(400);
    expect((await response.json()).fieldErrors).toEqual([
      { field: "region", message: "must be one of us-east-1, eu-west-1" },
    ]);
    expect(publisher.published).toEqual([]);
    expect(await testStore.store.getRequest(requestId)).toBeUndefined();
  });

  it("counts a body naming the default region as the same request as one leaving it out", async () => {
    const { publisher, post } = intake();
    const requestId = freshId("default-region");

    expect((await post({ ...sampleRequestContent(), requestId })).status).toBe(202);
    expect((await post({ ...sampleRequestContent(), requestId, region: "us-east-1" })).status).toBe(202);

    expect(publisher.detailsOf(ResourceRequested)).toEqual([filedByRequester(requestId)]);
  });

  it("answers 400 naming resource.bucketName for a bucket without the deployment's prefix", async () => {
    const { post } = intake();

    const response = await post({
      ...sampleRequestContent(),
      resource: { type: "s3", bucketName: "reports" },
    });

    expect(response.status).toBe(400);
    expect((await response.json()).fieldErrors).toEqual([
      { field: "resource.bucketName", message: "must start with team-" },
    ]);
  });
});

describe("POST /api/requests: the lease", () => {
  it("answers 400 naming lease and LEASE_MAX for a lease longer than it, storing and publishing nothing", async () => {
    const { publisher, post } = intake();
    const requestId = freshId("long-lease");

    const response = await post({ ...sampleRequestContent(), requestId, lease: "P120D" });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: "Request is invalid: lease must be at most P90D",
      fieldErrors: [{ field: "lease", message: "must be at most P90D" }],
    });
    expect(publisher.published).toEqual([]);
    expect(await testStore.store.getRequest(requestId)).toBeUndefined();
  });

  it("answers 400 naming lease and LEASE_MIN for a lease shorter than it", async () => {
    const { post } = intake();

    const response = await post({ ...sampleRequestContent(), lease: "PT30M" });

    expect((await response.json()).fieldErrors).toEqual([
      { field: "lease", message: "must be at least PT1H" },
    ]);
  });

  it("files the lease asked for as sent", async () => {
    const { publisher, post } = intake();
    const requestId = freshId("lease");

    expect((await post({ ...sampleRequestContent(), requestId, lease: "P3D" })).status).toBe(202);

    expect(publisher.detailsOf(ResourceRequested)).toEqual([
      { ...filedByRequester(requestId), lease: "P3D" },
    ]);
  });
});

describe("POST /api/estimates", () => {
  const estimate = (body: unknown, authorization: Record<string, string> = requesterAuthorization) =>
    intake().app.request("/api/estimates", {
      method: "POST",
      headers: { ...authorization, ...JSON_HEADERS },
      body: JSON.stringify(body),
    });

  it("answers the estimate of a resource in the default region, part by part, from the price list", async () => {
    const usEast1 = prices.snapshot.regions["us-east-1"];

    const response = await estimate({
      resource: { type: "ec2", instanceType: "t3.micro", os: "ubuntu-24.04" },
    });

    expect(response.status).toBe(200);
    const hourly = usEast1?.ec2["t3.micro"]?.Linux ?? Number.NaN;
    const gp3 = usEast1?.ebs.gp3 ?? Number.NaN;
    const instance = Math.round(hourly * 730 * 100) / 100;
    const root = Math.round(8 * gp3 * 100) / 100;
    expect(await response.json()).toEqual({
      region: "us-east-1",
      estimatedMonthlyCostUsd: Math.round((instance + root) * 100) / 100,
      costEstimate: {
        region: "us-east-1",
        parts: [
          {
            item: "t3.micro (Linux)",
            quantity: 730,
            unit: "hours",
            unitPriceUsd: hourly,
            monthlyUsd: instance,
          },
          { item: "gp3 root volume", quantity: 8, unit: "GiB-months", unitPriceUsd: gp3, monthlyUsd: root },
        ],
        pricesAsOf: prices.snapshot.pricesAsOf,
      },
    });
  });

  it("prices a database in the region asked for", async () => {
    const response = await estimate({
      region: "eu-west-1",
      resource: {
        type: "rds",
        engine: "mysql",
        instanceClass: "db.t4g.small",
        allocatedStorageGiB: 50,
        name: "orders",
      },
    });

    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.region).toBe("eu-west-1");
    expect(body.costEstimate.parts[0]).toMatchObject({
      item: "db.t4g.small (MySQL, Single-AZ)",
      unitPriceUsd: prices.snapshot.regions["eu-west-1"]?.rds["db.t4g.small"]?.MySQL?.["Single-AZ"],
    });
  });

  it("answers 400 naming each field of a bad resource, and the region outside the allowed ones", async () => {
    const bad = await estimate({
      resource: { type: "ec2", instanceType: "t3.huge", os: "amazon-linux-2023" },
    });
    const farAway = await estimate({ region: "ap-south-1", resource: sampleRequestContent().resource });

    expect(bad.status).toBe(400);
    expect((await bad.json()).fieldErrors).toEqual([
      { field: "resource.instanceType", message: expect.stringMatching(/^must be one of t3.nano/) },
    ]);
    expect(farAway.status).toBe(400);
    expect((await farAway.json()).fieldErrors).toEqual([
      { field: "region", message: "must be one of us-east-1, eu-west-1" },
    ]);
  });

  it("answers 401 without a token and 403 to a signed-in user who is not a requester", async () => {
    const body = { resource: sampleRequestContent().resource };

    expect((await estimate(body, {})).status).toBe(401);
    expect((await estimate(body, await identityProvider.authorizationOf(OPERATOR))).status).toBe(403);
  });
});

describe("GET /api/regions", () => {
  const regions = (authorization: Record<string, string> = requesterAuthorization) =>
    intake().app.request("/api/regions", { headers: authorization });

  it("answers the regions the rules allow and the default, for a form to offer", async () => {
    const response = await regions();

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ allowed: ["us-east-1", "eu-west-1"], default: "us-east-1" });
  });

  it("answers 401 without a token and 403 to a signed-in user who is not a requester", async () => {
    expect((await regions({})).status).toBe(401);
    expect((await regions(await identityProvider.authorizationOf(OPERATOR))).status).toBe(403);
  });
});
