import "../../../test/support/service-environment.ts";
import { randomBytes } from "node:crypto";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { ApprovalRequested } from "../../../events/approval-requested.ts";
import type { AcceptedRequest } from "../../../events/request.ts";
import { RequestAccepted } from "../../../events/request-accepted.ts";
import { RequestRejected } from "../../../events/request-rejected.ts";
import { localLambdaContext } from "../../../infra/local/lambda-context.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { manualClock, silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf, sampleRequest } from "../../../test/support/fixtures.ts";
import { testIdempotency } from "../../../test/support/idempotency.ts";
import { recordingPublisher } from "../../../test/support/recording-publisher.ts";
import { hashToken, verifyDecisionToken } from "../../shared/decision-token.ts";
import { MAILING_LEASE_MS } from "../../shared/leases.ts";
import type { OutgoingEmail } from "../../shared/mail.ts";
import { TEST_KEY } from "../../shared/testing/decision-tokens.ts";
import { createMailingStore, type Mailing, type MailingStore } from "../store.ts";
import { idempotencyTable, mailingsTable } from "../tables.ts";
import { ApprovalMailInProgressError, createOnRequestAcceptedHandler } from "./on-request-accepted.ts";

const TTL_SECONDS = 3600;

let dynamo: TestDynamo;
let store: MailingStore;

beforeAll(async () => {
  // approval-mail's own table and no other: a write to decision's table would fail here.
  dynamo = await startTestDynamo([mailingsTable, idempotencyTable]);
  store = createMailingStore(
    mailingsTable.id,
    dynamo.document,
    testIdempotency(dynamo, idempotencyTable.id, "approval-mail"),
  );
});
afterAll(() => dynamo.close());

/** A handler with fakes around the real table; `failSendTo` makes SES refuse mail to that address. */
const setUp = (approvers = ["bob@example.com", "cy@example.com"]) => {
  const clock = manualClock();
  const bus = recordingPublisher();
  const sent: OutgoingEmail[] = [];
  const mailbox = {
    failSendTo: undefined as string | undefined,
    onSend: (_email: OutgoingEmail) => {},
  };
  const handler = createOnRequestAcceptedHandler({
    store,
    publisher: bus,
    sendEmail: async (email) => {
      if (email.to === mailbox.failSendTo) throw new Error("SES is unavailable");
      mailbox.onSend(email);
      sent.push(email);
      return `message-${sent.length}`;
    },
    hmacKey: async () => TEST_KEY,
    now: clock.now,
    randomBytes,
    settings: {
      approvers,
      ttlSeconds: TTL_SECONDS,
      publicUrl: "http://localhost:3000",
      decisionsRequireSignIn: false,
    },
    logger: silentLogger(),
  });
  // Lambda hands the handler the raw envelope; its parser middleware turns that into the detail.
  const invoke = handler as unknown as (event: unknown, context: Context) => Promise<void>;
  const deliver = (request: AcceptedRequest) =>
    invoke(
      envelopeOf(
        RequestAccepted,
        { requestId: request.requestId, request, acceptedAt: clock.now().toISOString() },
        { id: `accepted-${request.requestId}` },
      ),
      localLambdaContext("approval-mail-on-request-accepted", "us-east-1", "000000000000"),
    );
  return { clock, bus, sent, mailbox, deliver };
};

const linkIn = (email: OutgoingEmail, action: "approve" | "reject") => {
  const match = email.text.match(new RegExp(`/decisions/${action}\\?token=(\\S+)`));
  return decodeURIComponent(match?.[1] ?? "");
};

const storedMailing = async (requestId: string) => (await store.get(requestId)) as Mailing;

describe("approval-mail on RequestAccepted", () => {
  it("sends one email per approver and announces ApprovalRequested without any token", async () => {
    const { sent, bus, clock, deliver } = setUp();
    const request = sampleRequest({ requestId: "mail-each" });

    await deliver(request);

    expect(sent.map((email) => email.to).sort()).toEqual(["bob@example.com", "cy@example.com"]);
    const announced = bus.eventsOf(ApprovalRequested);
    expect(announced).toHaveLength(1);
    const linksTo = (approver: string) => {
      const email = sent.find((candidate) => candidate.to === approver) as OutgoingEmail;
      return { approve: [hashToken(linkIn(email, "approve"))], reject: [hashToken(linkIn(email, "reject"))] };
    };
    expect(announced[0]?.detail).toEqual({
      requestId: "mail-each",
      request,
      approvers: ["bob@example.com", "cy@example.com"],
      linkHashes: {
        "bob@example.com": linksTo("bob@example.com"),
        "cy@example.com": linksTo("cy@example.com"),
      },
      expiresAt: "2026-03-01T11:00:00.000Z",
      requestedAt: clock.now().toISOString(),
    });
    for (const email of sent) {
      expect(JSON.stringify(announced)).not.toContain(linkIn(email, "approve"));
      expect(JSON.stringify(announced)).not.toContain(linkIn(email, "reject"));
    }
  });

  it("announces ApprovalRequested before sending any mail, so no link can be clicked before it is on the bus", async () => {
    const order: string[] = [];
    const { bus, deliver, mailbox } = setUp(["bob@example.com"]);
    const publish = bus.publish;
    bus.publish = async (contract, detail, options) => {
      order.push(contract.detailType);
      return publish(contract, detail, options);
    };
    mailbox.onSend = (email) => order.push(`mail to ${email.to}`);

    await deliver(sampleRequest({ requestId: "mail-order" }));

    expect(order).toEqual(["ApprovalRequested", "mail to bob@example.com"]);
  });

  it("writes approval-mail's table and no other, asking or refusing", async () => {
    const asking = setUp(["bob@example.com"]);
    const refusing = setUp(["ana@example.com"]);
    const send = vi.spyOn(dynamo.document, "send");
    onTestFinished(() => send.mockRestore());

    await asking.deliver(sampleRequest({ requestId: "mail-own-table" }));
    await refusing.deliver(sampleRequest({ requestId: "mail-own-table-refused" }));

    expect(asking.sent).toHaveLength(1);
    expect(refusing.bus.eventsOf(RequestRejected)).toHaveLength(1);
    const tables = send.mock.calls.map(([command]) => (command.input as { TableName?: string }).TableName);
    expect(new Set(tables)).toEqual(new Set([mailingsTable.id]));
  });

  it("sends links that verify, for that approver, and stores only their hashes", async () => {
    const { sent, clock, deliver } = setUp(["bob@example.com"]);
    const request = sampleRequest({ requestId: "mail-links" });

    await deliver(request);

    const email = sent[0] as OutgoingEmail;
    const approveToken = linkIn(email, "approve");
    const rejectToken = linkIn(email, "reject");
    expect(verifyDecisionToken(approveToken, "approve", TEST_KEY, clock.now())).toMatchObject({
      valid: true,
      claims: { requestId: "mail-links", approver: "bob@example.com" },
    });
    expect(verifyDecisionToken(rejectToken, "reject", TEST_KEY, clock.now()).valid).toBe(true);
    const stored = await storedMailing("mail-links");
    expect(stored.links["bob@example.com"]).toMatchObject({
      approve: [hashToken(approveToken)],
      reject: [hashToken(rejectToken)],
      messageId: "message-1",
    });
    expect(JSON.stringify(stored)).not.toContain(approveToken);
    expect(stored).toMatchObject({ kind: "MAILING", expiresAt: "2026-03-01T11:00:00.000Z" });
  });

  it("sends no second email and no second ApprovalRequested when the event is delivered again", async () => {
    const { sent, bus, deliver } = setUp();
    const request = sampleRequest({ requestId: "mail-redelivered" });

    await deliver(request);
    await deliver(request);

    expect(sent).toHaveLength(2);
    expect(bus.eventsOf(ApprovalRequested)).toHaveLength(1);
  });

  it("never asks the requester, even when listed as an approver in another case", async () => {
    const { sent, deliver } = setUp(["ANA@example.com", "bob@example.com"]);

    await deliver(sampleRequest({ requestId: "mail-not-self" }));

    expect(sent.map((email) => email.to)).toEqual(["bob@example.com"]);
  });

  it("refuses the request with RequestRejected, once, when no approver but the requester remains", async () => {
    const { sent, bus, deliver, clock } = setUp(["ana@example.com"]);
    const request = sampleRequest({ requestId: "mail-nobody" });

    await deliver(request);
    clock.advance(60);
    await deliver(request);

    expect(sent).toHaveLength(0);
    const rejected = bus.eventsOf(RequestRejected);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.source).toBe("approvals.approval-mail");
    expect(rejected[0]?.detail).toMatchObject({ requestId: "mail-nobody", request });
    expect(rejected[0]?.detail.reason).toMatch(/no approver other than the requester/i);
    expect(rejected[0]?.detail).not.toHaveProperty("approver");
    expect(bus.eventsOf(ApprovalRequested)).toHaveLength(0);
  });

  it("publishes the refusal again after a lost publish, and then never more", async () => {
    const { bus, deliver } = setUp(["ana@example.com"]);
    const request = sampleRequest({ requestId: "mail-nobody-retried" });
    bus.failNext();

    await expect(deliver(request)).rejects.toThrow("EventBridge is unreachable");
    await deliver(request);
    await deliver(request);

    expect(bus.eventsOf(RequestRejected)).toHaveLength(1);
  });

  it("keeps to what the first delivery settled when the approvers change in between", async () => {
    const refusedFirst = sampleRequest({ requestId: "mail-refused-then-asked" });
    await setUp(["ana@example.com"]).deliver(refusedFirst);
    const askedFirst = sampleRequest({ requestId: "mail-asked-then-refused" });
    await setUp(["bob@example.com"]).deliver(askedFirst);

    const laterAsking = setUp(["bob@example.com"]);
    await laterAsking.deliver(refusedFirst);
    const laterRefusing = setUp(["ana@example.com"]);
    await laterRefusing.deliver(askedFirst);

    expect(laterAsking.sent).toHaveLength(0);
    expect(laterAsking.bus.published).toHaveLength(0);
    expect(laterRefusing.bus.published).toHaveLength(0);
  });

  it("escapes markup from the request in the email and keeps the subject on one line", async () => {
    const { sent, deliver } = setUp(["bob@example.com"]);

    await deliver(
      sampleRequest({
        requestId: "mail-markup",
        requester: { email: "ana@example.com", name: "<img src=x onerror=alert(1)>" },
        justification: "<script>steal()</script>\nBcc: everyone@example.com",
      }),
    );

    const email = sent[0] as OutgoingEmail;
    expect(email.html.value).not.toContain("<script>");
    expect(email.html.value).not.toContain("<img");
    expect(email.html.value).toContain("&lt;script&gt;steal()&lt;/script&gt;");
    expect(email.subject).not.toMatch(/[\r\n]/);
  });

  it("after a failed send, the retry mails only the approvers still waiting, with links that work", async () => {
    const { sent, bus, clock, mailbox, deliver } = setUp();
    const request = sampleRequest({ requestId: "mail-partial" });
    mailbox.failSendTo = "cy@example.com";

    await expect(deliver(request)).rejects.toThrow("SES is unavailable");
    mailbox.failSendTo = undefined;
    await deliver(request);

    expect(sent.map((email) => email.to)).toEqual(["bob@example.com", "cy@example.com"]);
    const stored = await storedMailing("mail-partial");
    const retriedToken = linkIn(sent[1] as OutgoingEmail, "approve");
    expect(stored.links["cy@example.com"]?.approve).toContain(hashToken(retriedToken));
    expect(verifyDecisionToken(retriedToken, "approve", TEST_KEY, clock.now()).valid).toBe(true);
    // The retry issued cy a fresh link: announced again, with every hash so far, so decision merges it.
    const announced = bus.eventsOf(ApprovalRequested);
    expect(announced).toHaveLength(2);
    expect(announced[1]?.detail.linkHashes["cy@example.com"]?.approve).toEqual([
      ...(announced[0]?.detail.linkHashes["cy@example.com"]?.approve ?? []),
      hashToken(retriedToken),
    ]);
    expect(announced[1]?.detail.linkHashes["bob@example.com"]).toEqual(
      announced[0]?.detail.linkHashes["bob@example.com"],
    );
  });

  it("leaves the mails to a delivery still sending them, and takes over once its claim is stale", async () => {
    const delivery = setUp(["bob@example.com"]);
    const request = sampleRequest({ requestId: "mail-claimed" });
    // An earlier delivery stored the item and claimed the mailing a moment ago; it may still be sending.
    const earlierHash = hashToken("an earlier delivery's link");
    await store.createIfAbsent({
      kind: "MAILING",
      requestId: "mail-claimed",
      createdAt: delivery.clock.now().toISOString(),
      approvers: ["bob@example.com"],
      links: { "bob@example.com": { approve: [earlierHash], reject: [earlierHash] } },
      expiresAt: "2026-03-01T11:00:00.000Z",
      mailClaimId: "earlier-delivery",
      mailClaimedAt: delivery.clock.now().toISOString(),
    });

    await expect(delivery.deliver(request)).rejects.toBeInstanceOf(ApprovalMailInProgressError);
    expect(delivery.sent).toHaveLength(0);

    delivery.clock.advance(MAILING_LEASE_MS / 1000 + 1);
    await delivery.deliver(request);

    expect(delivery.sent.map((email) => email.to)).toEqual(["bob@example.com"]);
    const both = [earlierHash, hashToken(linkIn(delivery.sent[0] as OutgoingEmail, "approve"))];
    expect((await storedMailing("mail-claimed")).links["bob@example.com"]?.approve).toEqual(both);
    const announced = delivery.bus.eventsOf(ApprovalRequested);
    expect(announced).toHaveLength(1);
    expect(announced[0]?.detail.linkHashes["bob@example.com"]?.approve).toEqual(both);
  });
});
