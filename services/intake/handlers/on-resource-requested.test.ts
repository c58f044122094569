import "../../../test/support/service-environment.ts";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyPersistenceLayerError,
} from "@aws-lambda-powertools/idempotency";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
import { decide, REUSED_ID_MESSAGE } from "../domain.ts";
import { createIntakeStore } from "../store.ts";
import { startTestStore, type TestStore } from "../testing/store.ts";
import { createResourceRequestedHandler } from "./on-resource-requested.ts";

const NOW = new Date("2025-03-01T12:00:00.000Z");

let testStore: TestStore;
beforeAll(async () => {
  testStore = await startTestStore();
});
afterAll(() => testStore.dynamo.close());

/** An envelope as EventBridge delivers it, here from an outside system publishing under its own source. */
const envelope = (detail: unknown) =>
  envelopeOf(ResourceRequested, detail, { source: "ci.pipeline", time: NOW.toISOString() });

const intake = (now: () => Date = () => NOW) => {
  const publisher = recordingPublisher();
  const handle = createResourceRequestedHandler({
    store: testStore.store,
    publish: publisher.publish,
    now,
    logger: silentLogger(),
  });
  return { publisher, handle };
};

/** Each test asks for different content (and so a different derived id): they share one table. */
const uniqueDetail = (label: string) => ({
  ...sampleRequestContent(),
  justification: `${label} ${randomUUID()}`,
});

/** The request as intake identifies it, for setting up the store the way an earlier delivery would. */
const identified = (detail: unknown) => {
  const decision = decide(detail, "setup");
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
      request: { ...detail, requestId: accepted?.requestId },
      acceptedAt: NOW.toISOString(),
    });
    expect(await testStore.store.getRequest(accepted?.requestId ?? "")).toMatchObject({
      request: accepted?.request,
      acceptedAt: NOW.toISOString(),
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
      { requestId, request: detail, acceptedAt: NOW.toISOString() },
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
    let dyingPublishStarted = false;
    const dying = createResourceRequestedHandler({
      store: testStore.store,
      publish: () => {
        dyingPublishStarted = true;
        return new Promise(() => {});
      },
      now: () => NOW,
      logger: silentLogger(),
    });
    testStore.idempotency.config.registerLambdaContext(invocationEndingIn(200));
    void dying(envelope(detail));
    await expect.poll(() => dyingPublishStarted).toBe(true);
    testStore.idempotency.config.registerLambdaContext(everFreshInvocation());
    const { publisher, handle } = intake(() => new Date(NOW.getTime() + 60_000));

    await expect(handle(envelope(detail))).rejects.toBeInstanceOf(IdempotencyAlreadyInProgressError);
    await sleep(250);
    await handle(envelope(detail));

    expect(publisher.detailsOf(RequestAccepted)).toEqual([
      { requestId: request.requestId, request: request.request, acceptedAt: NOW.toISOString() },
    ]);
  });
});
