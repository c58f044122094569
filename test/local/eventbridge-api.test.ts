import {
  DescribeEventBusCommand,
  ListEventBusesCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  TestEventPatternCommand,
} from "@aws-sdk/client-eventbridge";
import { afterEach, describe, expect, it } from "vitest";
import { OUTSIDE_PRINCIPAL } from "../../infra/local/edge/principals.ts";
import { signedFetch } from "../../infra/local/edge/signature.ts";
import {
  type EventsEdge,
  eventBridgeClientAs,
  RecordingBus,
  startEventsEdge,
  TEST_REGION,
  TEST_SERVICES_PRINCIPAL,
} from "../support/local-events.ts";

const NOW = new Date("2024-05-01T12:00:00.000Z");
const ACCOUNT = "000000000000";
const APPROVALS_ARN = `arn:aws:events:${TEST_REGION}:${ACCOUNT}:event-bus/approvals`;

let edge: EventsEdge | undefined;
afterEach(async () => {
  await edge?.close();
  edge = undefined;
});

const start = async (bus: RecordingBus) => {
  edge = await startEventsEdge(bus, () => NOW);
  return edge;
};

const entry = (overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: "test.source",
  DetailType: "Something Happened",
  Detail: JSON.stringify({ n: 1 }),
  EventBusName: "approvals",
  ...overrides,
});

/** The error a call fails with; the call must fail. */
const failureOf = (call: Promise<unknown>): Promise<unknown> =>
  call.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: unknown) => error,
  );

/** A request signed in name only: the edge routes by the credential scope and checks no signature. */
/** A request no SDK would send, signed as the services are unless `signed` is false. */
const rawRequest = async (
  url: string,
  init: { service?: string; target?: string; body: string; signed?: boolean },
) => {
  const headers = {
    "content-type": "application/x-amz-json-1.1",
    ...(init.target ? { "x-amz-target": init.target } : {}),
  };
  if (init.signed === false) return fetch(url, { method: "POST", headers, body: init.body });
  return signedFetch(
    TEST_SERVICES_PRINCIPAL,
    new URL(url),
    { method: "POST", headers, body: init.body },
    { region: TEST_REGION, service: init.service ?? "events" },
  );
};

describe("PutEvents", () => {
  it("answers an EventId per entry and hands the AWS envelopes to the bus in one call", async () => {
    const bus = new RecordingBus();
    const { client } = await start(bus);

    const output = await client.send(
      new PutEventsCommand({
        Entries: [
          entry({
            Detail: JSON.stringify({ requestId: "r-1" }),
            Resources: ["arn:aws:ec2:eu-west-1:1:instance/i-1"],
          }),
          entry({
            EventBusName: APPROVALS_ARN,
            Time: new Date("2024-04-30T08:15:30.000Z"),
            Source: "other.source",
            DetailType: "Other Thing",
          }),
          entry({ EventBusName: undefined }),
        ],
      }),
    );

    expect(output.FailedEntryCount).toBe(0);
    const ids = output.Entries?.map((result) => result.EventId);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    expect(bus.acceptCalls).toHaveLength(1);
    expect(bus.acceptCalls[0]).toEqual([
      {
        eventBusName: "approvals",
        event: {
          version: "0",
          id: ids?.[0],
          "detail-type": "Something Happened",
          source: "test.source",
          account: ACCOUNT,
          time: "2024-05-01T12:00:00Z",
          region: TEST_REGION,
          resources: ["arn:aws:ec2:eu-west-1:1:instance/i-1"],
          detail: { requestId: "r-1" },
        },
      },
      {
        eventBusName: "approvals",
        event: expect.objectContaining({
          id: ids?.[1],
          source: "other.source",
          "detail-type": "Other Thing",
          time: "2024-04-30T08:15:30Z",
          resources: [],
        }),
      },
      { eventBusName: "default", event: expect.objectContaining({ id: ids?.[2] }) },
    ]);
  });

  it("does not answer before the bus has recorded the events", async () => {
    let releaseAccept = () => {};
    let acceptStarted = () => {};
    const acceptCalled = new Promise<void>((resolve) => {
      acceptStarted = resolve;
    });
    const bus = new RecordingBus(
      () =>
        new Promise<void>((resolve) => {
          releaseAccept = resolve;
          acceptStarted();
        }),
    );
    const { client } = await start(bus);
    let answered = false;

    const sending = client.send(new PutEventsCommand({ Entries: [entry()] })).then((output) => {
      answered = true;
      return output;
    });
    await acceptCalled;
    // A whole other round trip: an answer not held back by the bus would have arrived by its end.
    await client.send(new ListEventBusesCommand({}));
    const answeredWhileRecording = answered;
    releaseAccept();
    const output = await sending;

    expect(answeredWhileRecording).toBe(false);
    expect(output.FailedEntryCount).toBe(0);
    expect(bus.acceptedEvents).toHaveLength(1);
  });

  it("refuses a call of more than 10 entries as a whole, with AWS's ValidationException", async () => {
    const bus = new RecordingBus();
    const { client } = await start(bus);

    const sending = client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry()) }));

    await expect(sending).rejects.toMatchObject({
      name: "ValidationException",
      $metadata: { httpStatusCode: 400 },
      message: expect.stringMatching(
        /^1 validation error detected: Value '\[PutEventsRequestEntry\(.*source=test\.source.*\)\]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10$/,
      ),
    });
    expect(bus.acceptCalls).toEqual([]);
  });

  it("refuses a call with no entries", async () => {
    const { client } = await start(new RecordingBus());

    await expect(client.send(new PutEventsCommand({ Entries: [] }))).rejects.toMatchObject({
      name: "ValidationException",
      message: expect.stringContaining("Member must have length greater than or equal to 1"),
    });
  });

  it("refuses as malformed a detail nested deeper than the consumers can read, and accepts one just within", async () => {
    const bus = new RecordingBus();
    const { client } = await start(bus);
    const nested = (depth: number) => `{"a":${"[".repeat(depth - 1)}1${"]".repeat(depth - 1)}}`;

    const output = await client.send(
      new PutEventsCommand({ Entries: [entry({ Detail: nested(100) }), entry({ Detail: nested(4_000) })] }),
    );

    expect(output.FailedEntryCount).toBe(1);
    expect(output.Entries?.[0]?.EventId).toEqual(expect.any(String));
    expect(output.Entries?.[1]).toEqual({
      ErrorCode: "MalformedDetail",
      ErrorMessage: "Detail is malformed.",
    });
    expect(bus.acceptedEvents).toHaveLength(1);
  });

  it("reports each bad entry with AWS's error and accepts the good ones", async () => {
    const bus = new RecordingBus();
    const { client } = await start(bus);

    const output = await client.send(
      new PutEventsCommand({
        Entries: [
          entry({ Detail: JSON.stringify({ good: 1 }) }),
          entry({ Detail: "{not json" }),
          entry({ Detail: "[1, 2]" }),
          entry({ Source: undefined }),
          entry({ DetailType: "" }),
          entry({ Detail: undefined }),
          entry({ Detail: JSON.stringify({ good: 2 }) }),
        ],
      }),
    );

    expect(output.FailedEntryCount).toBe(5);
    expect(output.Entries?.slice(1, 6)).toEqual([
      { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." },
      { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." },
      {
        ErrorCode: "InvalidArgument",
        ErrorMessage: "Parameter Source is not valid. Reason: Source is a required argument.",
      },
      {
        ErrorCode: "InvalidArgument",
        ErrorMessage: "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
      },
      {
        ErrorCode: "InvalidArgument",
        ErrorMessage: "Parameter Detail is not valid. Reason: Detail is a required argument.",
      },
    ]);
    expect(bus.acceptCalls).toHaveLength(1);
    expect(bus.acceptedEvents.map(({ event }) => [event.id, event.detail])).toEqual([
      [output.Entries?.[0]?.EventId, { good: 1 }],
      [output.Entries?.[6]?.EventId, { good: 2 }],
    ]);
  });

  describe("the 256 KB limit on the entries of a call, sized as AWS documents it", () => {
    const LIMIT = 256 * 1024;
    const TIME_BYTES = 14;
    /** An entry of exactly `bytes` by AWS's measure: Time + Source + DetailType + Detail + Resources. */
    const entryOfSize = (bytes: number): PutEventsRequestEntry => {
      const fixed = entry({ Time: NOW, Resources: ["é"], Detail: '{"p":""}' });
      const used =
        TIME_BYTES +
        Buffer.byteLength(fixed.Source ?? "") +
        Buffer.byteLength(fixed.DetailType ?? "") +
        Buffer.byteLength(fixed.Detail ?? "") +
        Buffer.byteLength("é");
      return { ...fixed, Detail: JSON.stringify({ p: "x".repeat(bytes - used) }) };
    };

    it("accepts entries that together reach the limit exactly", async () => {
      const bus = new RecordingBus();
      const { client } = await start(bus);

      const output = await client.send(
        new PutEventsCommand({ Entries: [entryOfSize(LIMIT / 2), entryOfSize(LIMIT / 2)] }),
      );

      expect(output.FailedEntryCount).toBe(0);
      expect(bus.acceptedEvents).toHaveLength(2);
    });

    it("refuses the whole call once the entries together exceed it by one byte, as AWS does", async () => {
      const bus = new RecordingBus();
      const { client } = await start(bus);

      const sending = client.send(
        new PutEventsCommand({ Entries: [entry(), entryOfSize(LIMIT / 2), entryOfSize(LIMIT / 2 + 1)] }),
      );

      await expect(sending).rejects.toMatchObject({
        name: "ValidationException",
        message: "Total size of the entries in the request is over the limit.",
      });
      expect(bus.acceptCalls).toEqual([]);
    });
  });

  it("answers an entry for a bus that does not exist with an EventId and drops it, as AWS does", async () => {
    const bus = new RecordingBus();
    const { client } = await start(bus);

    const output = await client.send(
      new PutEventsCommand({ Entries: [entry({ EventBusName: "no-such-bus" }), entry()] }),
    );

    expect(output.FailedEntryCount).toBe(0);
    expect(output.Entries?.every((result) => result.EventId)).toBe(true);
    expect(bus.acceptedEvents.map(({ event }) => event.id)).toEqual([output.Entries?.[1]?.EventId]);
  });

  it("reports the entries the bus could not record as retryable InternalFailure", async () => {
    const bus = new RecordingBus(async () => {
      throw new Error("disk full");
    });
    const { client } = await start(bus);

    const output = await client.send(new PutEventsCommand({ Entries: [entry(), entry({ Source: "" })] }));

    expect(output.FailedEntryCount).toBe(2);
    expect(output.Entries?.map((result) => result.ErrorCode)).toEqual(["InternalFailure", "InvalidArgument"]);
  });
});

describe("who may put which source", () => {
  const APPROVED = entry({ Source: "approvals.decision", DetailType: "RequestApproved" });
  const EC2_STATE = entry({
    Source: "aws.ec2",
    DetailType: "EC2 Instance State-change Notification",
    EventBusName: "default",
  });
  const REQUESTED = entry({ Source: "ci.pipeline", DetailType: "ResourceRequested" });

  it("refuses an outside principal our services' sources and AWS's, entry by entry, and takes its request", async () => {
    const bus = new RecordingBus();
    const { url } = await start(bus);
    const outside = eventBridgeClientAs(url, OUTSIDE_PRINCIPAL);

    const output = await outside.send(new PutEventsCommand({ Entries: [APPROVED, REQUESTED, EC2_STATE] }));

    expect(output.FailedEntryCount).toBe(2);
    expect(output.Entries).toEqual([
      {
        ErrorCode: "AccessDeniedException",
        ErrorMessage:
          `User: ${OUTSIDE_PRINCIPAL.arn} is not authorized to perform: events:PutEvents on resource: ` +
          `${APPROVALS_ARN} with an explicit deny in a resource-based policy`,
      },
      { EventId: expect.any(String) },
      { ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "Not authorized for the source." },
    ]);
    expect(bus.acceptedEvents.map(({ event }) => event.source)).toEqual(["ci.pipeline"]);
    outside.destroy();
  });

  it("lets the services' principal put their own sources, but not AWS's", async () => {
    const bus = new RecordingBus();
    const { client } = await start(bus);

    const output = await client.send(new PutEventsCommand({ Entries: [APPROVED, EC2_STATE] }));

    expect(output.Entries?.map((result) => result.ErrorCode)).toEqual([
      undefined,
      "NotAuthorizedForSourceException",
    ]);
    expect(bus.acceptedEvents.map(({ event }) => event.source)).toEqual(["approvals.decision"]);
  });
});

describe("TestEventPattern", () => {
  const event = {
    id: "1",
    source: "approvals.intake",
    "detail-type": "ResourceRequested",
    account: ACCOUNT,
    region: TEST_REGION,
    time: "2024-05-01T12:00:00Z",
    detail: { resource: { type: "ec2" } },
  };

  it("tells whether the pattern matches the event", async () => {
    const { client } = await start(new RecordingBus());
    const test = (pattern: unknown) =>
      client.send(
        new TestEventPatternCommand({ EventPattern: JSON.stringify(pattern), Event: JSON.stringify(event) }),
      );

    const matching = await test({ detail: { resource: { type: ["ec2"] } } });
    const other = await test({ detail: { resource: { type: ["rds"] } } });

    expect(matching.Result).toBe(true);
    expect(other.Result).toBe(false);
  });

  it("refuses an invalid pattern with InvalidEventPatternException", async () => {
    const { client } = await start(new RecordingBus());

    for (const pattern of ['{"source": "not-an-array"}', "{not json"]) {
      await expect(
        client.send(new TestEventPatternCommand({ EventPattern: pattern, Event: JSON.stringify(event) })),
      ).rejects.toMatchObject({
        name: "InvalidEventPatternException",
        message: expect.stringMatching(/^Event pattern is not valid\. Reason: /),
        $metadata: { httpStatusCode: 400 },
      });
    }
  });

  it("refuses an event without the envelope fields AWS requires, but not one without resources", async () => {
    const { client } = await start(new RecordingBus());
    const { time: _time, ...withoutTime } = event;
    const pattern = JSON.stringify({ source: ["approvals.intake"] });

    const refused = await failureOf(
      client.send(new TestEventPatternCommand({ EventPattern: pattern, Event: JSON.stringify(withoutTime) })),
    );
    const notAnObject = await failureOf(
      client.send(new TestEventPatternCommand({ EventPattern: pattern, Event: "[]" })),
    );
    const withoutResources = await client.send(
      new TestEventPatternCommand({ EventPattern: pattern, Event: JSON.stringify(event) }),
    );

    expect(refused).toMatchObject({ name: "ValidationException", message: "Parameter Event is not valid." });
    expect(notAnObject).toMatchObject({
      name: "ValidationException",
      message: "Parameter Event is not valid.",
    });
    expect(withoutResources.Result).toBe(true);
  });
});

describe("event buses", () => {
  it("lists the buses with their ARNs", async () => {
    const { client } = await start(new RecordingBus());

    const all = await client.send(new ListEventBusesCommand({}));
    const prefixed = await client.send(new ListEventBusesCommand({ NamePrefix: "appr" }));

    expect(all.EventBuses).toEqual([
      { Name: "default", Arn: `arn:aws:events:${TEST_REGION}:${ACCOUNT}:event-bus/default` },
      { Name: "approvals", Arn: APPROVALS_ARN },
    ]);
    expect(prefixed.EventBuses?.map((bus) => bus.Name)).toEqual(["approvals"]);
  });

  it("describes a bus by name or ARN, the default bus when none is named, and refuses unknown ones", async () => {
    const { client } = await start(new RecordingBus());

    const byArn = await client.send(new DescribeEventBusCommand({ Name: APPROVALS_ARN }));
    const byDefault = await client.send(new DescribeEventBusCommand({}));
    const unknown = await failureOf(client.send(new DescribeEventBusCommand({ Name: "nope" })));

    expect(byArn).toMatchObject({ Name: "approvals", Arn: APPROVALS_ARN });
    expect(byDefault.Name).toBe("default");
    expect(unknown).toMatchObject({
      name: "ResourceNotFoundException",
      message: "Event bus nope does not exist.",
    });
  });
});

describe("bad input to the edge", () => {
  it.each([
    ["an unknown action", "AWSEvents.LaunchRockets", "{}", "UnknownOperationException"],
    ["no X-Amz-Target", undefined, "{}", "UnknownOperationException"],
    ["another service's target", "DynamoDB_20120810.ListTables", "{}", "UnknownOperationException"],
    ["a body that is not JSON", "AWSEvents.PutEvents", "{Entries: [", "SerializationException"],
    ["a JSON body that is not an object", "AWSEvents.PutEvents", "[1]", "SerializationException"],
    ["members of the wrong type", "AWSEvents.PutEvents", '{"Entries": "many"}', "SerializationException"],
    ["a missing required member", "AWSEvents.PutEvents", "{}", "ValidationException"],
    ["a missing pattern", "AWSEvents.TestEventPattern", '{"Event": "{}"}', "ValidationException"],
  ])("answers %s with a 4xx %s, and keeps serving", async (_case, target, body, errorType) => {
    const bus = new RecordingBus();
    const { url, client } = await start(bus);

    const response = await rawRequest(url, { target, body });
    const afterwards = await client.send(new PutEventsCommand({ Entries: [entry()] }));

    expect(response.status).toBe(400);
    expect(response.headers.get("x-amzn-errortype")).toBe(errorType);
    expect(await response.json()).toMatchObject({ __type: errorType, message: expect.any(String) });
    expect(afterwards.FailedEntryCount).toBe(0);
  });

  it("refuses a request without a SigV4 signature", async () => {
    const { url } = await start(new RecordingBus());

    const response = await rawRequest(url, { target: "AWSEvents.ListEventBuses", body: "{}", signed: false });

    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ __type: "MissingAuthenticationTokenException" });
  });

  it("refuses a service the edge does not serve", async () => {
    const { url } = await start(new RecordingBus());

    const response = await rawRequest(url, {
      service: "kinesis",
      target: "Kinesis_20131202.ListStreams",
      body: "{}",
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: "UnknownServiceException" });
  });
});
