import "../../../test/support/service-environment.ts";
import { randomUUID } from "node:crypto";
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyPersistenceLayerError,
} from "@aws-lambda-powertools/idempotency";
import { PricingClient } from "@aws-sdk/client-pricing";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { RequestAccepted } from "../../../events/request-accepted.ts";
import { deriveRequestId, refusalIdOf } from "../../../events/request-id.ts";
import { RequestInvalid } from "../../../events/request-invalid.ts";
import { ResourceRequested } from "../../../events/resource-requested.ts";
import { silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf, sampleRequestContent } from "../../../test/support/fixtures.ts";
import {
  deliverTogetherThenRetryFailures,
  everFreshInvocation,
  invocationEndingIn,
  testIdempotency,
} from "../../../test/support/idempotency.ts";
import { recordingPublisher } from "../../../test/support/recording-publisher.ts";
import { recordingMetrics } from "../../shared/testing/metrics.ts";
import { createEstimator, type Estimator } from "../cost/estimator.ts";
import { createPriceList } from "../cost/price-list.ts";
import { decide, type IntakeRules, REUSED_ID_MESSAGE } from "../domain.ts";
import { createIntakeStore } from "../store.ts";
import { startTestPriceList, type TestPriceList } from "../testing/price-list.ts";
import { startTestStore, type TestStore } from "../testing/store.ts";
import { createResourceRequestedHandler } from "./on-resource-requested.ts";

const NOW = new Date("2025-03-01T12:00:00.000Z");

const RULES: IntakeRules = {
  allowedRegions: ["us-east-1", "eu-west-1"],
  defaultRegion: "us-east-1",
  lease: { min: "PT1H", max: "P90D" },
};

let testStore: TestStore;
let prices: TestPriceList;
beforeAll(async () => {
  testStore = await startTestStore();
  prices = await startTestPriceList();
});
afterAll(async () => {
  testStore.dynamo.close();
  await prices.close();
});

/** The rules and the Price List of local mode: the edge answering from the committed snapshot. */
const pricing = (
  estimate: Estimator = createEstimator({
    priceList: prices.priceList,
    logger: silentLogger(),
    now: () => NOW,
  }),
) => ({
  rules: RULES,
  estimate,
});

/** An envelope as EventBridge delivers it, here from an outside system publishing under its own source. */
const envelope = (detail: unknown) =>
  envelopeOf(ResourceRequested, detail, { source: "ci.pipeline", time: NOW.toISOString() });

const intake = (now: () => Date = () => NOW) => {
  const publisher = recordingPublisher();
  const metrics = recordingMetrics();
  const handle = createResourceRequestedHandler({
    store: testStore.store,
    publish: publisher.publish,
    now,
    logger: silentLogger(),
    metrics,
    ...pricing(),
  });
  return { publisher, handle, metrics };
};

/**
 * The sample request as accepted: in the default region, with its estimate from the snapshot (a t3.micro
 * on Linux for 730 hours and its 20 GiB gp3 volume in us-east-1).
 */
const asAccepted = (request: object) => {
  const usEast1 = prices.snapshot.regions["us-east-1"];
  const instance = Math.round((usEast1?.ec2["t3.micro"]?.Linux ?? Number.NaN) * 730 * 100) / 100;
  const volume = Math.round(20 * (usEast1?.ebs.gp3 ?? Number.NaN) * 100) / 100;
  return {
    ...request,
    region: "us-east-1",
    estimatedMonthlyCostUsd: Math.round((instance + volume) * 100) / 100,
    costEstimate: expect.objectContaining({ region: "us-east-1", pricesAsOf: prices.snapshot.pricesAsOf }),
  };
};

/** Each test asks for different content (and so a different derived id): they share one table. */
const uniqueDetail = (label: string) => ({
  ...sampleRequestContent(),
  justification: `${label} ${randomUUID()}`,
});

/** The request as intake identifies it, for setting up the store the way an earlier delivery would. */
const identified = (detail: unknown) => {
  const decision = decide(detail, "setup", RULES);
  if (decision.kind !== "accept") throw new Error("the setup detail must be valid");
  return decision;
};

describe("a valid ResourceRequested", () => {
  it("is stored under an id derived from its content and answered with one RequestAccepted", async () => {
    const { publisher, handle } = intake();
    const detail = uniqueDetail("derived");

    await expect(handle(envelope(detail))).resolves.toBe("published");

    const [accepted, ...others] = publisher.detailsOf(RequestAccepted);
    expect(others).toEqual([]);
    expect(accepted?.requestId).toMatch(/^req_[0-9a-f]{32}$/);
    expect(accepted).toEqual({
      requestId: accepted?.requestId,
      request: asAccepted({ ...detail, requestId: accepted?.requestId }),
      acceptedAt: NOW.toISOString(),
    });
    const { estimatedMonthlyCostUsd, costEstimate, ...request } = accepted?.request ?? {};
    expect(await testStore.store.getRequest(accepted?.requestId ?? "")).toMatchObject({
      request,
      acceptedAt: NOW.toISOString(),
      estimate: { estimatedMonthlyCostUsd, costEstimate },
    });
    expect(publisher.detailsOf(RequestInvalid)).toEqual([]);
  });

  it("keeps the requestId it was given", async () => {
    const { publisher, handle } = intake();
    const requestId = `given-${randomUUID()}`;

    await handle(envelope({ ...sampleRequestContent(), requestId }));

    expect(publisher.detailsOf(RequestAccepted).map((detail) => detail.requestId)).toEqual([requestId]);
  });

  it("is accepted once when the same event is delivered ten times in a row", async () => {
    const { publisher, handle } = intake();
    const event = envelope(uniqueDetail("sequential"));

    const outcomes = [];
    for (let delivery = 0; delivery < 10; delivery++) outcomes.push(await handle(event));

    expect(publisher.detailsOf(RequestAccepted)).toHaveLength(1);
    expect(outcomes).toEqual(["published", ...Array(9).fill("already-published")]);
  });

  it("is accepted once when ten copies (different event ids and times) arrive at the same time and are retried", async () => {
    const { publisher, handle } = intake();
    const detail = uniqueDetail("concurrent-copies");
    const copies = Array.from({ length: 10 }, (_, copy) =>
      envelopeOf(ResourceRequested, structuredClone(detail), {
        source: "ci.pipeline",
        time: new Date(NOW.getTime() + copy * 1000).toISOString(),
      }),
    );

    const failures = await deliverTogetherThenRetryFailures(handle, copies);

    expect(failures.filter((failure) => !(failure instanceof IdempotencyAlreadyInProgressError))).toEqual([]);
    expect(publisher.detailsOf(RequestAccepted)).toHaveLength(1);
    // Its region, the default, is part of the content the id derives from.
    expect(publisher.detailsOf(RequestAccepted)[0]?.requestId).toBe(deriveRequestId(detail));
  });

  it("is accepted once when the same event is delivered ten times at the same time and retried", async () => {
    const { publisher, handle } = intake();
    const event = envelope(uniqueDetail("concurrent-redeliveries"));

    const failures = await deliverTogetherThenRetryFailures(handle, Array(10).fill(event));

    expect(failures.filter((failure) => !(failure instanceof IdempotencyAlreadyInProgressError))).toEqual([]);
    expect(publisher.detailsOf(RequestAccepted)).toHaveLength(1);
  });

  it("counts the HTTP submission of the same id and content as the same request", async () => {
    const { publisher, handle } = intake();
    const requestId = `http-${randomUUID()}`;
    const detail = { ...sampleRequestContent(), requestId };
    await testStore.store.recordSubmission({ ...identified(detail), submittedAt: NOW.toISOString() });

    await handle(envelope(detail));
    await handle(envelope(detail));

    expect(publisher.detailsOf(RequestAccepted)).toEqual([
      { requestId, request: asAccepted(detail), acceptedAt: NOW.toISOString() },
    ]);
    expect(publisher.detailsOf(RequestInvalid)).toEqual([]);
  });

  it("is refused under an id of its own, with an error on requestId, when the id already names different content", async () => {
    const { publisher, handle } = intake();
    const requestId = `reused-${randomUUID()}`;
    await handle(envelope({ ...sampleRequestContent(), requestId }));
    const sourceEvent = envelope({
      ...sampleRequestContent(),
      requestId,
      justification: "A different request",
    });

    await handle(sourceEvent);

    expect(publisher.detailsOf(RequestAccepted)).toHaveLength(1);
    expect(publisher.detailsOf(RequestInvalid)).toEqual([
      {
        requestId: refusalIdOf(sourceEvent.id),
        givenRequestId: requestId,
        requesterEmail: "ana@example.com",
        errors: [{ field: "requestId", message: REUSED_ID_MESSAGE }],
        sourceEventId: sourceEvent.id,
        rejectedAt: NOW.toISOString(),
      },
    ]);
    expect((await testStore.store.getRequest(requestId))?.request.justification).toBe(
      sampleRequestContent().justification,
    );
  });
});

describe("an invalid ResourceRequested", () => {
  it("is answered with RequestInvalid under the refusal's own id, carrying each field's reason, and nothing is accepted", async () => {
    const { publisher, handle } = intake();
    const requestId = `invalid-${randomUUID()}`;
    const detail = sampleRequestContent();
    const sourceEvent = envelope({
      ...detail,
      requestId,
      resource: { ...detail.resource, instanceType: "p5.48xlarge", volume: { sizeGiB: 8.5, type: "gp3" } },
    });

    await handle(sourceEvent);

    expect(publisher.detailsOf(RequestInvalid)).toEqual([
      {
        requestId: refusalIdOf(sourceEvent.id),
        givenRequestId: requestId,
        requesterEmail: "ana@example.com",
        errors: [
          { field: "resource.instanceType", message: expect.stringContaining("must be one of") },
          { field: "resource.volume.sizeGiB", message: "must be a whole number" },
        ],
        sourceEventId: sourceEvent.id,
        rejectedAt: NOW.toISOString(),
      },
    ]);
    expect(publisher.detailsOf(RequestAccepted)).toEqual([]);
    expect(await testStore.store.getRequest(requestId)).toBeUndefined();
  });

  it("is refused once however often it is delivered, sequentially or at the same time", async () => {
    const { publisher, handle } = intake();
    const event = envelope({
      ...uniqueDetail("refused-once"),
      requestId: `invalid-${randomUUID()}`,
      extra: 1,
    });

    const failures = await deliverTogetherThenRetryFailures(handle, Array(10).fill(event));
    for (let delivery = 0; delivery < 3; delivery++) await handle(event);

    expect(failures.filter((failure) => !(failure instanceof IdempotencyAlreadyInProgressError))).toEqual([]);
    expect(publisher.detailsOf(RequestInvalid)).toHaveLength(1);
  });

  it("answers each copy published as an event of its own with a refusal of its own, once each", async () => {
    const { publisher, handle } = intake();
    const requestId = `reused-copies-${randomUUID()}`;
    await handle(envelope({ ...sampleRequestContent(), requestId }));
    const copies = [1, 2].map(() =>
      envelope({ ...sampleRequestContent(), requestId, justification: "Other" }),
    );

    for (const copy of [...copies, ...copies]) await handle(copy);

    expect(
      publisher.detailsOf(RequestInvalid).map(({ requestId, givenRequestId }) => [requestId, givenRequestId]),
    ).toEqual(copies.map((copy) => [refusalIdOf(copy.id), requestId]));
  });

  it.each([
    ["a string", "please give me a server"],
    ["null", null],
    ["an array", [1, 2, 3]],
    ["an object without a requester", { resource: { type: "ec2" } }],
    [
      "a requester whose email forges a header",
      { requester: { email: "ana@example.com\r\nBcc: eve@example.com" } },
    ],
  ])(
    "is refused without an email when it is garbage (%s), and the handler does not throw",
    async (_case, detail) => {
      const { publisher, handle } = intake();
      const sourceEvent = envelope(detail);

      await expect(handle(sourceEvent)).resolves.toBe("published");

      const [refusal, ...others] = publisher.detailsOf(RequestInvalid);
      expect(others).toEqual([]);
      expect(refusal).toEqual({
        requestId: refusalIdOf(sourceEvent.id),
        errors: expect.arrayContaining([{ field: expect.any(String), message: expect.any(String) }]),
        sourceEventId: sourceEvent.id,
        rejectedAt: NOW.toISOString(),
      });
      expect(refusal).not.toHaveProperty("requesterEmail");
      expect(refusal).not.toHaveProperty("givenRequestId");
    },
  );
});

describe("the metrics", () => {
  it("count an accepted submission once, however often it is delivered", async () => {
    const { handle, metrics } = intake();
    const event = envelope(uniqueDetail("counted-accepted"));

    await handle(event);
    await handle(event);

    expect(metrics.recorded).toEqual([
      { metric: "RequestsSubmitted", value: 1 },
      { metric: "RequestsAccepted", value: 1 },
    ]);
  });

  it("count an invalid submission once, however often it is delivered", async () => {
    const { handle, metrics } = intake();
    const event = envelope({ ...uniqueDetail("counted-invalid"), extra: 1 });

    await handle(event);
    await handle(event);

    expect(metrics.recorded).toEqual([
      { metric: "RequestsSubmitted", value: 1 },
      { metric: "RequestsInvalid", value: 1 },
    ]);
  });

  it("count nothing when the answer could not be published", async () => {
    const metrics = recordingMetrics();
    const handle = createResourceRequestedHandler({
      store: testStore.store,
      publish: async () => {
        throw new Error("EventBridge is down");
      },
      now: () => NOW,
      logger: silentLogger(),
      metrics,
      ...pricing(),
    });

    await expect(handle(envelope(uniqueDetail("not-counted")))).rejects.toThrow("EventBridge is down");

    expect(metrics.recorded).toEqual([]);
  });
});

describe("failures", () => {
  it("throws when publishing fails, and the redelivery publishes exactly once", async () => {
    const { publisher, handle } = intake();
    const event = envelope(uniqueDetail("publish-fails"));
    publisher.failNext();

    await expect(handle(event)).rejects.toThrow("EventBridge is unreachable");
    expect(publisher.published).toEqual([]);

    await handle(event);
    await handle(event);

    expect(publisher.detailsOf(RequestAccepted)).toHaveLength(1);
  });

  it("throws on DynamoDB errors, so the bus retries", async () => {
    const publisher = recordingPublisher();
    const handle = createResourceRequestedHandler({
      store: createIntakeStore(
        testStore.dynamo.document,
        { requests: "no-such-table" },
        testIdempotency(testStore.dynamo, "no-such-table", "intake"),
      ),
      publish: publisher.publish,
      now: () => NOW,
      logger: silentLogger(),
      metrics: recordingMetrics(),
      ...pricing(),
    });

    await expect(handle(envelope(uniqueDetail("no-table")))).rejects.toThrow(/non-existent table|not found/i);
    const refusing = handle(envelope("garbage"));
    await expect(refusing).rejects.toBeInstanceOf(IdempotencyPersistenceLayerError);
    await expect(refusing).rejects.toMatchObject({
      cause: expect.objectContaining({ message: expect.stringMatching(/non-existent table|not found/i) }),
    });
    expect(publisher.published).toEqual([]);
  });

  it("throws while another delivery is publishing the acceptance, so the bus retries it once that is done", async () => {
    const detail = uniqueDetail("in-progress");
    let publishStarted = false;
    let releasePublication: (eventIds: string[]) => void = () => {};
    const holding = createResourceRequestedHandler({
      store: testStore.store,
      publish: () => {
        publishStarted = true;
        return new Promise((resolve) => {
          releasePublication = resolve;
        });
      },
      now: () => NOW,
      logger: silentLogger(),
      metrics: recordingMetrics(),
      ...pricing(),
    });
    const held = holding(envelope(detail));
    await expect.poll(() => publishStarted).toBe(true);
    const { publisher, handle } = intake();

    await expect(handle(envelope(detail))).rejects.toBeInstanceOf(IdempotencyAlreadyInProgressError);
    releasePublication(["event-1"]);
    await expect(held).resolves.toBe("published");

    await expect(handle(envelope(detail))).resolves.toBe("already-published");
    expect(publisher.published).toEqual([]);
  });

  it("takes the acceptance over once the invocation of a publisher that died after claiming it has ended", async () => {
    const detail = uniqueDetail("dead-claimant");
    const request = identified(detail);
    // A delivery that claimed the publication and died while publishing: it never gives the claim back.
    let publishStarted: () => void = () => {};
    const dyingPublishStarted = new Promise<void>((resolve) => {
      publishStarted = resolve;
    });
    const dying = createResourceRequestedHandler({
      store: testStore.store,
      publish: () => {
        publishStarted();
        return new Promise(() => {});
      },
      now: () => NOW,
      logger: silentLogger(),
      metrics: recordingMetrics(),
      ...pricing(),
    });
    // The clock Powertools dates claims by stands still until the dying invocation's deadline is made to
    // pass: its claim is in progress, then expired, however long each step takes.
    vi.useFakeTimers({ toFake: ["Date"] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const timeLeftMs = 1000;
    testStore.idempotency.config.registerLambdaContext(invocationEndingIn(timeLeftMs));
    void dying(envelope(detail));
    await dyingPublishStarted;
    testStore.idempotency.config.registerLambdaContext(everFreshInvocation());
    const { publisher, handle } = intake(() => new Date(NOW.getTime() + 60_000));

    await expect(handle(envelope(detail))).rejects.toBeInstanceOf(IdempotencyAlreadyInProgressError);
    vi.setSystemTime(Date.now() + timeLeftMs + 1);
    await handle(envelope(detail));

    expect(publisher.detailsOf(RequestAccepted)).toEqual([
      { requestId: request.requestId, request: asAccepted(request.request), acceptedAt: NOW.toISOString() },
    ]);
  });
});

describe("the region and the cost estimate", () => {
  it("refuses a region outside the allowed ones with a RequestInvalid naming them", async () => {
    const { publisher, handle } = intake();

    await handle(envelope({ ...uniqueDetail("far-region"), region: "sa-east-1" }));

    expect(publisher.detailsOf(RequestAccepted)).toEqual([]);
    expect(publisher.detailsOf(RequestInvalid).map((refusal) => refusal.errors)).toEqual([
      [{ field: "region", message: "must be one of us-east-1, eu-west-1" }],
    ]);
  });

  it("prices the request in the region it names", async () => {
    const { publisher, handle } = intake();

    await handle(envelope({ ...uniqueDetail("eu-region"), region: "eu-west-1" }));

    const [accepted] = publisher.detailsOf(RequestAccepted);
    const euWest1 = prices.snapshot.regions["eu-west-1"];
    expect(accepted?.request.region).toBe("eu-west-1");
    expect(accepted?.request.costEstimate?.parts.map((part) => part.unitPriceUsd)).toEqual([
      euWest1?.ec2["t3.micro"]?.Linux,
      euWest1?.ebs.gp3,
    ]);
  });

  it("carries the estimate first stored when a redelivery comes after a crash, without pricing it again", async () => {
    const first = intake();
    const event = envelope(uniqueDetail("estimate-once"));
    first.publisher.failNext();
    await expect(first.handle(event)).rejects.toThrow("EventBridge is unreachable");
    let repriced = 0;
    const publisher = recordingPublisher();
    const retry = createResourceRequestedHandler({
      store: testStore.store,
      publish: publisher.publish,
      now: () => NOW,
      logger: silentLogger(),
      metrics: recordingMetrics(),
      ...pricing(async () => {
        repriced++;
        throw new Error("a redelivery must not price the request again");
      }),
    });

    await retry(event);

    expect(repriced).toBe(0);
    expect(publisher.detailsOf(RequestAccepted).map(({ request }) => request)).toEqual([
      asAccepted({ ...(event.detail as object), requestId: expect.any(String) }),
    ]);
  });

  it("accepts the request with every part unknown, and no total, when the Price List cannot be read", async () => {
    // Nothing listens on port 9 (discard) here: every call fails to connect.
    const unreachable = new PricingClient({
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9",
      maxAttempts: 1,
      credentials: { accessKeyId: "AKIAUNREACHABLE23456", secretAccessKey: "unreachable" },
    });
    const publisher = recordingPublisher();
    const estimate = createEstimator({
      priceList: createPriceList({ client: unreachable, now: Date.now }),
      logger: silentLogger(),
      now: () => NOW,
    });
    const failing = createResourceRequestedHandler({
      store: testStore.store,
      publish: publisher.publish,
      now: () => NOW,
      logger: silentLogger(),
      metrics: recordingMetrics(),
      ...pricing(estimate),
    });

    await failing(envelope(uniqueDetail("price-list-down")));

    const [accepted] = publisher.detailsOf(RequestAccepted);
    expect(accepted?.request.estimatedMonthlyCostUsd).toBeNull();
    expect(accepted?.request.costEstimate?.parts).toEqual([
      expect.objectContaining({
        unitPriceUsd: null,
        monthlyUsd: null,
        unknownBecause: expect.stringMatching(/^the price list could not be read/),
      }),
      expect.objectContaining({
        unitPriceUsd: null,
        monthlyUsd: null,
        unknownBecause: expect.stringMatching(/^the price list could not be read/),
      }),
    ]);
    unreachable.destroy();
  });
});
