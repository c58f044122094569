import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  RequestAccepted,
  RequestApproved,
  ResourceProvisioned,
  ResourceRequested,
} from "../../events/index.ts";
import { ec2ResourceSchema } from "../../events/request.ts";
import { refusalIdOf } from "../../events/request-id.ts";
import {
  existingServicesPrincipal,
  OUTSIDE_PRINCIPAL,
  type Principal,
} from "../../infra/local/edge/principals.ts";
import { signedFetch } from "../../infra/local/edge/signature.ts";
import { DEAD_LETTERS_PATH, DEAD_LETTERS_SCOPE } from "../../infra/local/eventbridge/dead-letters.ts";
import { LOCAL_ACCOUNT_ID } from "../../infra/local/eventbridge/types.ts";
import {
  decide,
  decisionLinks,
  emailsTo,
  getRequest,
  validRequest,
  waitForEmails,
  waitForStatus,
} from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

const entryOf = (detailType: string, detail: unknown, source = "ci.pipeline") => ({
  EventBusName: "approvals",
  Source: source,
  DetailType: detailType,
  Detail: typeof detail === "string" ? detail : JSON.stringify(detail),
});

describe("ResourceRequested published straight onto the bus", () => {
  let stack: StackUnderTest;
  /** The stack's own principal, from its DATA_DIR: what its services sign with. */
  let services: Principal;
  /** A client signing as the stack's services do, to play their part. */
  let servicesEventBridge: EventBridgeClient;
  beforeAll(async () => {
    stack = await startStack();
    services = await existingServicesPrincipal(stack.dataDir);
    servicesEventBridge = new EventBridgeClient({
      endpoint: stack.edgeUrl,
      region: "us-east-1",
      credentials: services,
    });
  });
  afterAll(async () => {
    servicesEventBridge?.destroy();
    await stack?.destroy();
  });

  /** Published as another system does, with the outside credentials; resolves to the events' ids. */
  const publish = async (entries: ReturnType<typeof entryOf>[], client = stack.eventBridge) => {
    const output = await client.send(new PutEventsCommand({ Entries: entries }));
    expect(output.FailedEntryCount).toBe(0);
    return (output.Entries ?? []).map((entry) => String(entry.EventId));
  };

  it("makes ten copies of one request, sent one by one and all at once, into one approval mail and one instance", async () => {
    const requestId = `dup-${Date.now()}`;
    const entry = entryOf(ResourceRequested.detailType, validRequest({ requestId }));

    for (let copy = 0; copy < 5; copy++) await publish([entry]);
    await Promise.all(Array.from({ length: 5 }, () => publish([entry])));

    const [mail] = await waitForEmails(stack, "approver@example.com", requestId);
    await waitForStatus(stack, requestId, "PENDING_APPROVAL");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await emailsTo(stack, "approver@example.com", requestId)).toHaveLength(1);

    expect((await decide(decisionLinks(mail as NonNullable<typeof mail>).approve)).status).toBe(200);
    await waitForStatus(stack, requestId, "PROVISIONED");
    await Promise.all(Array.from({ length: 3 }, () => publish([entry])));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const described = await stack.ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: "tag:RequestId", Values: [requestId] }] }),
    );
    expect(described.Reservations?.flatMap((reservation) => reservation.Instances ?? [])).toHaveLength(1);
    expect((await getRequest(stack, requestId))?.status).toBe("PROVISIONED");
  });

  it("derives the same id for identical copies that carry none", async () => {
    const detail = validRequest({ justification: `no id ${Date.now()}` });

    await publish([
      entryOf(ResourceRequested.detailType, detail),
      entryOf(ResourceRequested.detailType, detail),
    ]);

    const mails = await waitForEmails(stack, "approver@example.com", String(detail.justification));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await emailsTo(stack, "approver@example.com", String(detail.justification))).toHaveLength(
      mails.length,
    );
    expect(mails).toHaveLength(1);
  });

  it("turns an invalid detail into INVALID under the refusal's own id with each field's reason, tells the requester, asks no approver", async () => {
    const requestId = `bad-${Date.now()}`;
    const detail = validRequest({
      requestId,
      resource: {
        type: "ec2",
        instanceType: "x9.huge",
        os: "amazon-linux-2023",
        volume: { sizeGiB: 3, type: "gp3" },
      },
    });

    const [eventId] = await publish([entryOf(ResourceRequested.detailType, detail)]);

    const invalid = await waitForStatus(stack, refusalIdOf(String(eventId)), "INVALID");
    expect(invalid.fieldErrors?.map((error) => error.field).sort()).toEqual([
      "resource.instanceType",
      "resource.volume.sizeGiB",
    ]);
    const [told] = await waitForEmails(stack, "ana@example.com", requestId);
    expect(told?.body.text).toContain("resource.instanceType");
    expect(await emailsTo(stack, "approver@example.com", requestId)).toEqual([]);
  });

  it("refuses a reused requestId with other content under an id of its own, leaving the original's timeline untouched", async () => {
    const requestId = `reused-${Date.now()}`;
    await publish([entryOf(ResourceRequested.detailType, validRequest({ requestId }))]);
    const original = await waitForStatus(stack, requestId, "PENDING_APPROVAL");
    const eventIdsOf = (view: { timeline: { eventId: string }[] } | undefined) =>
      view?.timeline.map((entry) => entry.eventId);

    const [reuseEventId] = await publish([
      entryOf(
        ResourceRequested.detailType,
        validRequest({ requestId, justification: "Someone else's request under the same id" }),
        "other.pipeline",
      ),
    ]);

    const refusalId = refusalIdOf(String(reuseEventId));
    const refusal = await stack.eventually(
      () => getRequest(stack, refusalId),
      (view) => view?.status === "INVALID" && view.timeline.some((entry) => entry.eventId === reuseEventId),
    );
    expect(refusal?.fieldErrors).toEqual([
      { field: "requestId", message: expect.stringContaining("already used") },
    ]);
    expect(refusal?.timeline).toContainEqual(
      expect.objectContaining({
        eventId: reuseEventId,
        type: ResourceRequested.detailType,
        source: "other.pipeline",
        account: LOCAL_ACCOUNT_ID,
      }),
    );
    expect(refusal?.timeline).toContainEqual(
      expect.objectContaining({
        detail: expect.objectContaining({ requestId: refusalId, givenRequestId: requestId }),
      }),
    );
    // The submission may have been recorded under the id it named for a moment before its refusal came.
    await expect
      .poll(async () => eventIdsOf(await getRequest(stack, requestId)), { timeout: 10_000 })
      .toEqual(eventIdsOf(original));
    const after = await getRequest(stack, requestId);
    expect(after?.status).toBe("PENDING_APPROVAL");
    expect(after?.justification).toBe(original.justification);
  });

  it("records garbage with no usable requester without stopping the bus", async () => {
    const garbage = await stack.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          entryOf(ResourceRequested.detailType, { hello: "world" }),
          entryOf(ResourceRequested.detailType, { requester: "nobody", resource: 5 }),
          entryOf(ResourceRequested.detailType, { requester: { email: "not an address\r\nBcc: x@y.z" } }),
        ],
      }),
    );
    const requestId = `after-garbage-${Date.now()}`;

    await publish([entryOf(ResourceRequested.detailType, validRequest({ requestId }))]);

    await waitForStatus(stack, requestId, "PENDING_APPROVAL");
    // A refusal goes by an id of its own, from the event that carried the refused detail.
    for (const entry of garbage.Entries ?? []) {
      const recorded = await waitForStatus(stack, refusalIdOf(String(entry.EventId)), "INVALID");
      expect(recorded.fieldErrors?.length).toBeGreaterThan(0);
    }
    expect(await emailsTo(stack, "x@y.z")).toEqual([]);
    const listing = await signedFetch(
      services,
      new URL(DEAD_LETTERS_PATH, stack.edgeUrl),
      { method: "GET" },
      DEAD_LETTERS_SCOPE,
    );
    expect(listing.status).toBe(200);
    expect(JSON.stringify(await listing.json())).not.toContain("hello");
  });

  it("accepts the README's aws events put-events example as written", async () => {
    const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
    const example =
      /aws --endpoint-url http:\/\/localhost:4566 events put-events --entries '([\s\S]+?)'\n/.exec(readme);
    const entries = JSON.parse(example?.[1] ?? "null") as ReturnType<typeof entryOf>[];
    const requestId = String(JSON.parse(entries[0]?.Detail ?? "{}").requestId);

    await publish(entries);

    await waitForStatus(stack, requestId, "PENDING_APPROVAL");
  });

  it("settles on the right status when the flow's events arrive out of order", async () => {
    const requestId = `ooo-${Date.now()}`;
    const { privateIp: _, ...resource } = ec2ResourceSchema.parse(validRequest().resource);
    const request = { ...validRequest({ resource }), requestId };
    const time = new Date().toISOString();
    const provisioned = entryOf(
      ResourceProvisioned.detailType,
      { requestId, request, instanceId: "i-0123456789abcdef0", privateIp: "10.0.1.25", provisionedAt: time },
      ResourceProvisioned.source,
    );
    // Our own services' events, so under their producers' sources: any other source is ignored.
    const approved = entryOf(
      RequestApproved.detailType,
      { requestId, request, approver: "approver@example.com", decidedAt: time },
      RequestApproved.source,
    );
    const accepted = entryOf(
      RequestAccepted.detailType,
      { requestId, request, acceptedAt: time },
      RequestAccepted.source,
    );

    // Our services' own events: only their principal may put them on the bus.
    await publish([provisioned], servicesEventBridge);
    await publish([approved, provisioned], servicesEventBridge);
    await publish([accepted], servicesEventBridge);

    const view = await waitForStatus(stack, requestId, "PROVISIONED");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const settled = await getRequest(stack, requestId);
    expect(settled?.status).toBe("PROVISIONED");
    expect(settled?.instanceId).toMatch(/^i-[0-9a-f]+$/);
    expect(
      view.timeline.filter((entry) => entry.type === "ResourceProvisioned").length,
    ).toBeGreaterThanOrEqual(1);
  });

  /** Submits a request, waits until it is pending, and forges its approval under `source`. */
  const forgedApprovalOfPendingRequest = async (requestId: string, source: string) => {
    const { privateIp: _, ...resource } = ec2ResourceSchema.parse(validRequest().resource);
    const detail = validRequest({ requestId, resource });
    await publish([entryOf(ResourceRequested.detailType, detail)]);
    await waitForStatus(stack, requestId, "PENDING_APPROVAL");
    return entryOf(
      RequestApproved.detailType,
      {
        requestId,
        request: { ...detail, requestId },
        approver: "approver@example.com",
        decidedAt: new Date().toISOString(),
      },
      source,
    );
  };

  /**
   * The forged approval changed nothing: once a request published after it is pending (the forgery has
   * had its chance), the request is still pending, has no approval on its timeline and no instance.
   */
  const expectStillPendingWithoutInstance = async (requestId: string, laterId: string) => {
    await waitForStatus(stack, laterId, "PENDING_APPROVAL");
    const view = await getRequest(stack, requestId);
    expect(view?.status).toBe("PENDING_APPROVAL");
    expect(view?.timeline.map((entry) => entry.type)).not.toContain(RequestApproved.detailType);
    const described = await stack.ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: "tag:RequestId", Values: [requestId] }] }),
    );
    expect(described.Reservations?.flatMap((reservation) => reservation.Instances ?? []) ?? []).toEqual([]);
  };

  it("launches nothing for a RequestApproved an outside system publishes, and leaves the request pending", async () => {
    const requestId = `forged-${Date.now()}`;
    const forged = await forgedApprovalOfPendingRequest(requestId, "ci.pipeline");
    // A request published after the forgery: once it is pending, the forgery has had its chance.
    const laterId = `after-forged-${Date.now()}`;

    await publish([forged, entryOf(ResourceRequested.detailType, validRequest({ requestId: laterId }))]);

    await expectStillPendingWithoutInstance(requestId, laterId);
  });

  it("refuses at the edge a RequestApproved an outside system forges under the decision service's source, and nothing happens", async () => {
    const requestId = `forged-source-${Date.now()}`;
    const forged = await forgedApprovalOfPendingRequest(requestId, RequestApproved.source);
    const laterId = `after-forged-source-${Date.now()}`;

    const output = await stack.eventBridge.send(
      new PutEventsCommand({
        Entries: [forged, entryOf(ResourceRequested.detailType, validRequest({ requestId: laterId }))],
      }),
    );

    expect(output.FailedEntryCount).toBe(1);
    expect(output.Entries?.[0]).toEqual({
      ErrorCode: "AccessDeniedException",
      ErrorMessage: expect.stringMatching(
        new RegExp(
          `^User: ${OUTSIDE_PRINCIPAL.arn} is not authorized to perform: events:PutEvents on resource: arn:aws:events:us-east-1:\\d{12}:event-bus/approvals with an explicit deny in a resource-based policy$`,
        ),
      ),
    });
    await expectStillPendingWithoutInstance(requestId, laterId);
  });

  it("refuses at the edge an EC2 state change anyone forges, as AWS refuses every aws.* source", async () => {
    const forged = {
      EventBusName: "default",
      Source: "aws.ec2",
      DetailType: "EC2 Instance State-change Notification",
      Detail: JSON.stringify({ "instance-id": "i-0123456789abcdef0", state: "running" }),
    };

    const fromOutside = await stack.eventBridge.send(new PutEventsCommand({ Entries: [forged] }));
    const fromServices = await servicesEventBridge.send(new PutEventsCommand({ Entries: [forged] }));

    for (const output of [fromOutside, fromServices]) {
      expect(output.Entries).toEqual([
        { ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "Not authorized for the source." },
      ]);
    }
  });
});
