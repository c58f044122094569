import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { ApprovalRequested } from "../../events/approval-requested.ts";
import { APPROVALS_BUS } from "../../events/contract.ts";
import {
  createPublisher,
  EventPublishError,
  MAX_ENTRIES_PER_PUT,
  UnknownProducerError,
} from "../../events/publish.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestRejected } from "../../events/request-rejected.ts";
import { ResourceRequested } from "../../events/resource-requested.ts";
import { DetailValidationError } from "../../events/validation.ts";
import { type EventsEdge, RecordingBus, startEventsEdge } from "../support/local-events.ts";

const requestFrom = (requester: string) => ({
  requester: { email: `${requester}@example.com` },
  resource: { type: "ec2" as const, instanceType: "t3.micro" as const, os: "amazon-linux-2023" as const },
  justification: `build box for ${requester}`,
});

let edge: EventsEdge | undefined;
afterEach(async () => {
  await edge?.close();
  edge = undefined;
});

/** A publisher talking to the local EventBridge API through the real SDK client. */
const publisherOn = async (bus: RecordingBus, resendAttempts = 2) => {
  edge = await startEventsEdge(bus);
  return {
    edge,
    publisher: createPublisher({
      client: edge.client,
      eventBusName: APPROVALS_BUS,
      resendAttempts,
      resendBaseDelayMs: 1,
    }),
  };
};

describe("publish, through the local EventBridge API", () => {
  it("refuses a detail that breaks its contract before anything is sent, naming the field", async () => {
    const bus = new RecordingBus();
    const { edge, publisher } = await publisherOn(bus);
    const detail = {
      ...requestFrom("ana"),
      resource: { ...requestFrom("ana").resource, instanceType: "huge" },
    };

    const failure = await publisher
      .publish(ResourceRequested, detail as never)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(DetailValidationError);
    expect((failure as DetailValidationError).fieldErrors).toEqual([
      expect.objectContaining({ field: "resource.instanceType" }),
    ]);
    expect(edge.requestCount()).toBe(0);
  });

  it("sends more than ten details in calls of at most ten and answers their event ids in order", async () => {
    const bus = new RecordingBus();
    const { edge, publisher } = await publisherOn(bus);
    const details = Array.from({ length: 23 }, (_, index) => requestFrom(`user${index}`));

    const eventIds = await publisher.publish(ResourceRequested, details);

    expect(edge.requestCount()).toBe(3);
    expect(bus.acceptCalls.map((call) => call.length)).toEqual([MAX_ENTRIES_PER_PUT, MAX_ENTRIES_PER_PUT, 3]);
    expect(bus.acceptedEvents.map(({ event }) => event.id)).toEqual(eventIds);
    expect(bus.acceptedEvents.map(({ event }) => event.detail)).toEqual(details);
    expect(bus.acceptedEvents[0]).toMatchObject({
      eventBusName: APPROVALS_BUS,
      event: { source: ResourceRequested.source, "detail-type": ResourceRequested.detailType },
    });
  });

  it("resends the entries the bus could not record", async () => {
    let failuresLeft = 1;
    const bus = new RecordingBus(async () => {
      if (failuresLeft-- > 0) throw new Error("disk full");
    });
    const { edge, publisher } = await publisherOn(bus);

    const eventIds = await publisher.publish(ResourceRequested, [requestFrom("ana"), requestFrom("bo")]);

    expect(edge.requestCount()).toBe(2);
    expect(bus.acceptedEvents.map(({ event }) => event.id)).toEqual(eventIds);
  });

  it("throws EventPublishError naming the refused entries once the resends are spent", async () => {
    const bus = new RecordingBus(async () => {
      throw new Error("disk full");
    });
    const { edge, publisher } = await publisherOn(bus, 2);

    const failure = await publisher
      .publish(ResourceRequested, requestFrom("ana"))
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(EventPublishError);
    expect((failure as EventPublishError).failedEntries).toEqual([
      {
        detailType: ResourceRequested.detailType,
        errorCode: "InternalFailure",
        errorMessage: expect.any(String),
      },
    ]);
    expect(edge.requestCount()).toBe(3);
  });
});

describe("publish, against a mocked client answering partial failures", () => {
  it("resends only the entries EventBridge refused and keeps every event id in place", async () => {
    const client = new EventBridgeClient({ region: "eu-west-1" });
    const eventBridge = mockClient(client);
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: "id-ana" },
          { ErrorCode: "ThrottlingException", ErrorMessage: "slow down" },
          { EventId: "id-cy" },
          { ErrorCode: "InternalFailure", ErrorMessage: "try again" },
        ],
      })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: "id-bo" }, { EventId: "id-di" }] });
    const publisher = createPublisher({ client, eventBusName: APPROVALS_BUS, resendBaseDelayMs: 1 });
    const details = ["ana", "bo", "cy", "di"].map(requestFrom);

    const eventIds = await publisher.publish(ResourceRequested, details);

    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.map((entry) => JSON.parse(entry.Detail ?? "{}"))).toEqual([
      details[1],
      details[3],
    ]);
    expect(eventIds).toEqual(["id-ana", "id-bo", "id-cy", "id-di"]);
  });
});

describe("publish under a source other than the contract's own", () => {
  const validDetailOf = (detailType: string): unknown =>
    JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", `${detailType}.json`), "utf8")).valid[0];

  const mockedPublisher = () => {
    const client = new EventBridgeClient({ region: "eu-west-1" });
    const eventBridge = mockClient(client);
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "id-1" }] });
    return { eventBridge, publisher: createPublisher({ client, eventBusName: APPROVALS_BUS }) };
  };

  it("sends it under one of the contract's other producers, as approval-mail refuses by policy", async () => {
    const { eventBridge, publisher } = mockedPublisher();

    await publisher.publish(RequestRejected, validDetailOf(RequestRejected.detailType) as never, {
      source: ApprovalRequested.source,
    });

    const [call] = eventBridge.commandCalls(PutEventsCommand);
    expect(call?.args[0].input.Entries?.map((entry) => entry.Source)).toEqual([ApprovalRequested.source]);
  });

  it("refuses a source the catalog does not give the contract before anything is sent", async () => {
    const { eventBridge, publisher } = mockedPublisher();

    const failure = await publisher
      .publish(RequestApproved, validDetailOf(RequestApproved.detailType) as never, {
        source: ApprovalRequested.source,
      })
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(UnknownProducerError);
    expect(eventBridge.commandCalls(PutEventsCommand)).toEqual([]);
  });

  it("sends the open contract, ResourceRequested, under an outside system's source", async () => {
    const { eventBridge, publisher } = mockedPublisher();

    await publisher.publish(ResourceRequested, requestFrom("ana"), { source: "ci.pipeline" });

    const [call] = eventBridge.commandCalls(PutEventsCommand);
    expect(call?.args[0].input.Entries?.map((entry) => entry.Source)).toEqual(["ci.pipeline"]);
  });
});
