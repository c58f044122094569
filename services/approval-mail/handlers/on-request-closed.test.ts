import "../../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventContract } from "../../../events/contract.ts";
import { ExtensionDecided, RELEASED_BEFORE_DECIDED } from "../../../events/lease-events.ts";
import { RequestApproved } from "../../../events/request-approved.ts";
import { RequestExpired } from "../../../events/request-expired.ts";
import { RequestRejected } from "../../../events/request-rejected.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf, sampleRequest } from "../../../test/support/fixtures.ts";
import { testIdempotency } from "../../../test/support/idempotency.ts";
import { approvalKeyOf, closingEventSchema } from "../../shared/approval-asks.ts";
import type { OutgoingEmail } from "../../shared/mail.ts";
import { recordingMetrics } from "../../shared/testing/metrics.ts";
import { createMailingStore, type MailingStore } from "../store.ts";
import { idempotencyTable, mailingsTable } from "../tables.ts";
import { createRequestClosedHandler } from "./on-request-closed.ts";

const DECIDED_AT = "2026-03-01T10:30:00.000Z";
const EXPIRES_AT = "2026-03-01T11:00:00.000Z";

let dynamo: TestDynamo;
let store: MailingStore;

beforeAll(async () => {
  dynamo = await startTestDynamo([mailingsTable, idempotencyTable]);
  store = createMailingStore(
    mailingsTable.id,
    dynamo.document,
    testIdempotency(dynamo, idempotencyTable.id, "approval-mail"),
  );
});
afterAll(() => dynamo.close());

/** approval-mail asked these approvers in the request's stages, in order. */
const askedInStages = async (requestId: string, ...stages: string[][]) => {
  for (const [stage, approvers] of stages.entries()) {
    await store.createIfAbsent({
      requestId,
      stage,
      createdAt: "2026-03-01T10:00:00.000Z",
      approvers,
      links: {},
      expiresAt: EXPIRES_AT,
    });
  }
};

const setUp = () => {
  const sent: OutgoingEmail[] = [];
  const mailbox = { failSendTo: undefined as string | undefined };
  const handle = createRequestClosedHandler({
    store,
    sendEmail: async (email) => {
      if (email.to === mailbox.failSendTo) throw new Error("SES is unavailable");
      sent.push(email);
      return `message-${sent.length}`;
    },
    logger: silentLogger(),
    metrics: recordingMetrics(),
  });
  const deliver = (contract: EventContract, detail: unknown) =>
    handle(closingEventSchema.parse(envelopeOf(contract, detail)));
  return { sent, mailbox, deliver };
};

/** Round `n` of the extensions of a request's lease. */
const extensionOf = (n: number) => ({
  n,
  from: "2026-03-08T10:00:00.000Z",
  until: "2026-03-15T10:00:00.000Z",
  justification: "The migration runs another week",
});

/** The round's outcome: decided by the last of `approvers`, all of whom voted; undecided with none. */
const extensionDecidedBy = (requestId: string, n: number, approved: boolean, ...approvers: string[]) => ({
  requestId,
  request: sampleRequest({ requestId }),
  extension: extensionOf(n),
  approved,
  ...(approvers.length > 0 && {
    decider: approvers.at(-1),
    approvals: approvers.map((approver) => ({ stage: 0, approver, decidedAt: DECIDED_AT })),
  }),
  decidedAt: DECIDED_AT,
});

const approvedBy = (requestId: string, ...approvers: string[]) => ({
  requestId,
  request: sampleRequest({ requestId }),
  approver: approvers.at(-1),
  approvals: approvers.map((approver, stage) => ({ stage, approver, decidedAt: DECIDED_AT })),
  decidedAt: DECIDED_AT,
});

describe("approval-mail on a request's outcome", () => {
  it("tells each approver asked in any stage who did not vote, once, what happened and by whom", async () => {
    const { sent, deliver } = setUp();
    await askedInStages(
      "closed-approved",
      ["bob@example.com", "cy@example.com", "dee@example.com"],
      ["cy@example.com", "eve@example.com"],
    );

    await deliver(RequestApproved, approvedBy("closed-approved", "bob@example.com", "eve@example.com"));

    expect(sent.map((email) => email.to)).toEqual(["cy@example.com", "dee@example.com"]);
    for (const email of sent) {
      expect(email.subject).toBe("Request closed-approved was approved: nothing for you to do");
      expect(email.text).toContain("was approved by bob@example.com and eve@example.com");
      expect(email.text).toContain("Nothing for you to do; your links no longer work.");
    }
  });

  it("tells the approvers an escalation added too, unless they voted", async () => {
    const { sent, deliver } = setUp();
    await askedInStages("closed-escalated", ["bob@example.com"]);
    await store.addEscalated("closed-escalated", 0, ["op@example.com", "eve@example.com"]);

    await deliver(RequestApproved, approvedBy("closed-escalated", "eve@example.com"));

    expect(sent.map((email) => email.to)).toEqual(["bob@example.com", "op@example.com"]);
  });

  it("sends nobody a second email when the outcome is delivered again", async () => {
    const { sent, deliver } = setUp();
    await askedInStages("closed-twice", ["bob@example.com", "cy@example.com"]);
    const outcome = approvedBy("closed-twice", "bob@example.com");

    await deliver(RequestApproved, outcome);
    await deliver(RequestApproved, outcome);

    expect(sent.map((email) => email.to)).toEqual(["cy@example.com"]);
  });

  it("after a failed send, the retry mails only the approvers not told yet", async () => {
    const { sent, mailbox, deliver } = setUp();
    await askedInStages("closed-retried", ["bob@example.com", "cy@example.com", "dee@example.com"]);
    const outcome = approvedBy("closed-retried", "bob@example.com");
    mailbox.failSendTo = "dee@example.com";

    await expect(deliver(RequestApproved, outcome)).rejects.toThrow("SES is unavailable");
    mailbox.failSendTo = undefined;
    await deliver(RequestApproved, outcome);

    expect(sent.map((email) => email.to)).toEqual(["cy@example.com", "dee@example.com"]);
  });

  it("tells the others who rejected the request, leaving out the rejecter and those who approved", async () => {
    const { sent, deliver } = setUp();
    await askedInStages(
      "closed-rejected",
      ["bob@example.com", "cy@example.com"],
      ["dee@example.com", "eve@example.com"],
    );

    await deliver(RequestRejected, {
      requestId: "closed-rejected",
      request: sampleRequest({ requestId: "closed-rejected" }),
      approver: "dee@example.com",
      approvals: [{ stage: 0, approver: "bob@example.com", decidedAt: DECIDED_AT }],
      reason: "not this quarter",
      decidedAt: DECIDED_AT,
    });

    expect(sent.map((email) => email.to)).toEqual(["cy@example.com", "eve@example.com"]);
    expect(sent[0]?.text).toContain("was rejected by dee@example.com");
  });

  it("tells everyone asked when the request expired", async () => {
    const { sent, deliver } = setUp();
    await askedInStages("closed-expired", ["bob@example.com", "cy@example.com"]);

    await deliver(RequestExpired, {
      requestId: "closed-expired",
      request: sampleRequest({ requestId: "closed-expired" }),
      expiresAt: EXPIRES_AT,
      expiredAt: EXPIRES_AT,
    });

    expect(sent.map((email) => email.to)).toEqual(["bob@example.com", "cy@example.com"]);
    expect(sent[0]?.subject).toBe("Request closed-expired expired: nothing for you to do");
  });

  it("mails nobody about a request a policy decided without asking anyone", async () => {
    const { sent, deliver } = setUp();

    await deliver(RequestApproved, {
      requestId: "closed-auto",
      request: sampleRequest({ requestId: "closed-auto" }),
      approver: "policy:small-dev-boxes",
      reason: "small burstable instance",
      policy: { name: "small-dev-boxes", hash: "0123456789ab" },
      decidedAt: DECIDED_AT,
    });

    expect(sent).toHaveLength(0);
  });
});

describe("approval-mail on the outcome of an extension round", () => {
  it("tells the round's approvers who did not vote that the extension was decided, and by whom", async () => {
    const { sent, deliver } = setUp();
    await askedInStages(approvalKeyOf("round-approved", extensionOf(1)), [
      "bob@example.com",
      "cy@example.com",
    ]);

    await deliver(ExtensionDecided, extensionDecidedBy("round-approved", 1, true, "bob@example.com"));

    expect(sent.map((email) => email.to)).toEqual(["cy@example.com"]);
    expect(sent[0]?.subject).toBe(
      "The extension of request round-approved was approved: nothing for you to do",
    );
    expect(sent[0]?.text).toContain(
      "The extension of the lease of request round-approved (EC2 t3.micro (amazon-linux-2023) for Ana <ana@example.com>) to Sun, 15 Mar 2026, 10:00 UTC was approved by bob@example.com.",
    );
  });

  it("tells only the approvers of that round, not those asked about the request or another round", async () => {
    const { sent, deliver } = setUp();
    await askedInStages("round-apart", ["ann@example.com"]);
    await askedInStages(approvalKeyOf("round-apart", extensionOf(1)), ["bob@example.com"]);
    await askedInStages(approvalKeyOf("round-apart", extensionOf(2)), ["cy@example.com"]);

    await deliver(ExtensionDecided, extensionDecidedBy("round-apart", 2, false));

    expect(sent.map((email) => email.to)).toEqual(["cy@example.com"]);
    expect(sent[0]?.text).toContain("expired before enough approvers decided");
  });

  it("tells the round's approvers who did not vote that the resource was released before they decided", async () => {
    const { sent, deliver } = setUp();
    await askedInStages(approvalKeyOf("round-released", extensionOf(1)), [
      "bob@example.com",
      "cy@example.com",
    ]);

    await deliver(ExtensionDecided, {
      ...extensionDecidedBy("round-released", 1, false),
      reason: RELEASED_BEFORE_DECIDED,
    });

    expect(sent.map((email) => email.to)).toEqual(["bob@example.com", "cy@example.com"]);
    expect(sent[0]?.subject).toBe(
      "The extension of request round-released is no longer needed: nothing for you to do",
    );
    expect(sent[0]?.text).toContain(
      "to Sun, 15 Mar 2026, 10:00 UTC was closed: the resource was released before the extension was decided.",
    );
  });

  it("tells an approver of each round once, though the request's closure told them already", async () => {
    const { sent, deliver } = setUp();
    await askedInStages("round-again", ["bob@example.com", "cy@example.com"]);
    await askedInStages(approvalKeyOf("round-again", extensionOf(1)), ["bob@example.com", "cy@example.com"]);
    const refused = extensionDecidedBy("round-again", 1, false, "cy@example.com");

    await deliver(RequestApproved, approvedBy("round-again", "cy@example.com"));
    await deliver(ExtensionDecided, refused);
    await deliver(ExtensionDecided, refused);

    expect(sent.map((email) => email.subject)).toEqual([
      "Request round-again was approved: nothing for you to do",
      "The extension of request round-again was rejected: nothing for you to do",
    ]);
  });

  it("mails nobody about an extension a policy decided without asking anyone", async () => {
    const { sent, deliver } = setUp();

    await deliver(ExtensionDecided, {
      ...extensionDecidedBy("round-auto", 1, true),
      decider: "policy:dev-boxes",
      reason: 'within the P14D policy "dev-boxes" extends without asking',
    });

    expect(sent).toEqual([]);
  });
});
