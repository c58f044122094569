import "../../../test/support/service-environment.ts";
import { randomBytes } from "node:crypto";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalRequested } from "../../../events/approval-requested.ts";
import type { AcceptedRequest } from "../../../events/request.ts";
import { RequestAccepted } from "../../../events/request-accepted.ts";
import { RequestRejected } from "../../../events/request-rejected.ts";
import { localLambdaContext } from "../../../infra/local/lambda-context.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { manualClock, silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf, sampleRequest } from "../../../test/support/fixtures.ts";
import { recordingPublisher } from "../../../test/support/recording-publisher.ts";
import type { AskedApproval } from "../../decision/domain.ts";
import { createOutcomePublisher } from "../../decision/outcomes.ts";
import { type ApprovalStore, createApprovalStore } from "../../decision/store.ts";
import { approvalsTable } from "../../decision/tables.ts";
import { TEST_KEY } from "../../decision/testing/approvals.ts";
import { hashToken, verifyDecisionToken } from "../../decision/token.ts";
import { MAILING_LEASE_MS } from "../../shared/leases.ts";
import type { OutgoingEmail } from "../../shared/mail.ts";
import { ApprovalMailInProgressError, createOnRequestAcceptedHandler } from "./on-request-accepted.ts";

const TTL_SECONDS = 3600;

let dynamo: TestDynamo;
let store: ApprovalStore;

beforeAll(async () => {
  dynamo = await startTestDynamo([approvalsTable]);
  store = createApprovalStore(approvalsTable.id, dynamo.document);
});
afterAll(() => dynamo.close());

/** A handler with fakes around the real table; `failSendTo` makes SES refuse mail to that address. */
const setUp = (approvers = ["bob@example.com", "cy@example.com"]) => {
  const clock = manualClock();
  const bus = recordingPublisher();
  const sent: OutgoingEmail[] = [];
  const mailbox = { failSendTo: undefined as string | undefined };
  const handler = createOnRequestAcceptedHandler({
    store,
    publisher: bus,
    publishOutcome: createOutcomePublisher({ publisher: bus, store, now: clock.now }),
    sendEmail: async (email) => {
      if (email.to === mailbox.failSendTo) throw new Error("SES is unavailable");
      sent.push(email);
      return `message-${sent.length}`;
    },
    hmacKey: async () => TEST_KEY,
    now: clock.now,
    randomBytes,
    settings: { approvers, ttlSeconds: TTL_SECONDS, publicUrl: "http://localhost:3000" },
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

const storedApproval = async (requestId: string) => (await store.get(requestId)) as AskedApproval;

describe("approval-mail on RequestAccepted", () => {
  it("sends one email per approver and announces ApprovalRequested without any token", async () => {
    const { sent, bus, clock, deliver } = setUp();
    const request = sampleRequest({ requestId: "mail-each" });

    await deliver(request);

    expect(sent.map((email) => email.to).sort()).toEqual(["bob@example.com", "cy@example.com"]);
    const announced = bus.eventsOf(ApprovalRequested);
    expect(announced).toHaveLength(1);
    expect(announced[0]?.detail).toEqual({
      requestId: "mail-each",
      approvers: ["bob@example.com", "cy@example.com"],
      expiresAt: "2026-03-01T11:00:00.000Z",
      requestedAt: clock.now().toISOString(),
    });
    expect(JSON.stringify(announced)).not.toContain(linkIn(sent[0] as OutgoingEmail, "approve"));
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
    const stored = await storedApproval("mail-links");
    expect(stored.grants["bob@example.com"]).toMatchObject({
      approve: [hashToken(approveToken)],
      reject: [hashToken(rejectToken)],
      messageId: "message-1",
    });
    expect(JSON.stringify(stored)).not.toContain(approveToken);
    expect(stored).toMatchObject({ status: "PENDING", expiresAt: "2026-03-01T11:00:00.000Z" });
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
    const { sent, bus, deliver } = setUp(["ana@example.com"]);
    const request = sampleRequest({ requestId: "mail-nobody" });

    await deliver(request);
    await deliver(request);

    expect(sent).toHaveLength(0);
    const rejected = bus.eventsOf(RequestRejected);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.source).toBe("approvals.approval-mail");
    expect(rejected[0]?.detail).toMatchObject({ requestId: "mail-nobody", request });
    expect(rejected[0]?.detail.reason).toMatch(/no approver other than the requester/i);
    expect(rejected[0]?.detail).not.toHaveProperty("approver");
  });

  it("escapes markup from the request in the email and keeps the subject on one line", async () => {
    const { sent, deliver } = setUp(["bob@example.com"]);

    await deliver(
      sampleRequest({
        requestId: "mail-markup",
        requester: { email: "ana@example.com", name: "<img src=x onerror=alert(1)>" },
        justification: "<script>steal()</script>\r\nBcc: everyone@example.com",
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
    const stored = await storedApproval("mail-partial");
    const retriedToken = linkIn(sent[1] as OutgoingEmail, "approve");
    expect(stored.grants["cy@example.com"]?.approve).toContain(hashToken(retriedToken));
    expect(verifyDecisionToken(retriedToken, "approve", TEST_KEY, clock.now()).valid).toBe(true);
    expect(bus.eventsOf(ApprovalRequested)).toHaveLength(1);
  });

  it("leaves the mails to a delivery still sending them, and takes over once its claim is stale", async () => {
    const delivery = setUp(["bob@example.com"]);
    const request = sampleRequest({ requestId: "mail-claimed" });
    // An earlier delivery stored the item and claimed the mailing a moment ago; it may still be sending.
    await store.createIfAbsent({
      requestId: "mail-claimed",
      request,
      requesterEmail: "ana@example.com",
      createdAt: delivery.clock.now().toISOString(),
      status: "PENDING",
      approvers: ["bob@example.com"],
      grants: { "bob@example.com": { approve: ["earlier-hash"], reject: ["earlier-hash"] } },
      expiresAt: "2026-03-01T11:00:00.000Z",
      mailClaimId: "earlier-delivery",
      mailClaimedAt: delivery.clock.now().toISOString(),
      sweepTask: "EXPIRE",
      sweepAt: "2026-03-01T11:00:00.000Z",
    });

    await expect(delivery.deliver(request)).rejects.toBeInstanceOf(ApprovalMailInProgressError);
    expect(delivery.sent).toHaveLength(0);

    delivery.clock.advance(MAILING_LEASE_MS / 1000 + 1);
    await delivery.deliver(request);

    expect(delivery.sent.map((email) => email.to)).toEqual(["bob@example.com"]);
    expect((await storedApproval("mail-claimed")).grants["bob@example.com"]?.approve).toEqual([
      "earlier-hash",
      hashToken(linkIn(delivery.sent[0] as OutgoingEmail, "approve")),
    ]);
    expect(delivery.bus.eventsOf(ApprovalRequested)).toHaveLength(1);
  });
});
