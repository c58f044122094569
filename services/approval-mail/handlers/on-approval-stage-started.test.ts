import "../../../test/support/service-environment.ts";
import { randomBytes } from "node:crypto";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { ApprovalRequested } from "../../../events/approval-requested.ts";
import { ApprovalStageStarted } from "../../../events/approval-stage-started.ts";
import type { DetailInputOf } from "../../../events/contract.ts";
import type { AcceptedRequest } from "../../../events/request.ts";
import { localLambdaContext } from "../../../infra/local/lambda-context.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { manualClock, silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf, sampleRequest } from "../../../test/support/fixtures.ts";
import { testIdempotency } from "../../../test/support/idempotency.ts";
import { recordingPublisher } from "../../../test/support/recording-publisher.ts";
import { approvalKeyOf } from "../../shared/approval-asks.ts";
import { hashToken, verifyDecisionToken } from "../../shared/decision-token.ts";
import { MAILING_LEASE_MS } from "../../shared/leases.ts";
import type { OutgoingEmail } from "../../shared/mail.ts";
import { TEST_KEY } from "../../shared/testing/decision-tokens.ts";
import { recordingMetrics } from "../../shared/testing/metrics.ts";
import { createMailingStore, type Mailing, type MailingStore } from "../store.ts";
import { idempotencyTable, mailingsTable } from "../tables.ts";
import {
  ApprovalMailInProgressError,
  createOnApprovalStageStartedHandler,
} from "./on-approval-stage-started.ts";

/** The deadline decision gives the stage: an hour after the manual clock's start. */
const EXPIRES_AT = "2026-03-01T11:00:00.000Z";

const POLICY = { name: "large-instances", hash: "0123456789ab" };
const TEAM_LEADS = { index: 0, name: "team leads", count: 2 };
const FINANCE = { index: 1, name: "finance", count: 2 };

/** Round 1 of the extensions of a request's lease: a week more. */
const EXTENSION = {
  n: 1,
  from: "2026-03-08T10:00:00.000Z",
  until: "2026-03-15T10:00:00.000Z",
  justification: "The migration runs another week",
};

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

type StageStarted = DetailInputOf<typeof ApprovalStageStarted>;

/** A stage decision started for the request: its approvers by email, `quorum` of them needed. */
const stageOf = (
  request: AcceptedRequest,
  approvers: StageStarted["approvers"] = [{ email: "bob@example.com" }, { email: "cy@example.com" }],
  overrides: Partial<StageStarted> = {},
): StageStarted => ({
  requestId: request.requestId,
  request,
  policy: POLICY,
  stage: TEAM_LEADS,
  approvers,
  quorum: 2,
  expiresAt: EXPIRES_AT,
  startedAt: "2026-03-01T10:00:00.000Z",
  ...overrides,
});

/** A handler with fakes around the real table; `failSendTo` makes SES refuse mail to that address. */
const setUp = () => {
  const clock = manualClock();
  const bus = recordingPublisher();
  const sent: OutgoingEmail[] = [];
  const mailbox = {
    failSendTo: undefined as string | undefined,
    onSend: (_email: OutgoingEmail) => {},
  };
  const metrics = recordingMetrics();
  const handler = createOnApprovalStageStartedHandler({
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
    settings: { publicUrl: "http://localhost:3000", decisionsRequireSignIn: false },
    logger: silentLogger(),
    metrics,
  });
  // Lambda hands the handler the raw envelope; its parser middleware turns that into the detail.
  const invoke = handler as unknown as (event: unknown, context: Context) => Promise<void>;
  const deliver = (started: StageStarted) =>
    invoke(
      envelopeOf(ApprovalStageStarted, started, {
        id: `started-${started.requestId}-${started.stage.index}`,
      }),
      localLambdaContext("approval-mail-on-approval-stage-started", "us-east-1", "000000000000"),
    );
  return { clock, bus, sent, mailbox, deliver, metrics };
};

const linkIn = (email: OutgoingEmail, action: "approve" | "reject") => {
  const match = email.text.match(new RegExp(`/decisions/${action}\\?token=(\\S+)`));
  return decodeURIComponent(match?.[1] ?? "");
};

const storedMailing = async (requestId: string, stage = 0) => (await store.get(requestId, stage)) as Mailing;

describe("approval-mail on ApprovalStageStarted", () => {
  it("sends one email per approver of the stage and announces ApprovalRequested with the stage, without any token", async () => {
    const { sent, bus, clock, deliver } = setUp();
    const request = sampleRequest({ requestId: "mail-each" });

    await deliver(stageOf(request));

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
      stage: TEAM_LEADS,
      linkHashes: {
        "bob@example.com": linksTo("bob@example.com"),
        "cy@example.com": linksTo("cy@example.com"),
      },
      expiresAt: EXPIRES_AT,
      requestedAt: clock.now().toISOString(),
    });
    for (const email of sent) {
      expect(JSON.stringify(announced)).not.toContain(linkIn(email, "approve"));
      expect(JSON.stringify(announced)).not.toContain(linkIn(email, "reject"));
    }
  });

  it("names the stage in each email, and on whose behalf a delegate is asked", async () => {
    const { sent, deliver } = setUp();

    await deliver(
      stageOf(
        sampleRequest({ requestId: "mail-stage-named" }),
        [{ email: "bob@example.com" }, { email: "cy@example.com", onBehalfOf: "dee@example.com" }],
        { stage: FINANCE, quorum: 1 },
      ),
    );

    const to = (approver: string) => sent.find((email) => email.to === approver) as OutgoingEmail;
    for (const email of sent) expect(email.text).toContain("Stage 2 of 2: finance — 1 approval needed");
    expect(to("cy@example.com").text).toContain("on behalf of dee@example.com");
    expect(to("bob@example.com").text).not.toContain("on behalf of");
  });

  it("announces ApprovalRequested before sending any mail, so no link can be clicked before it is on the bus", async () => {
    const order: string[] = [];
    const { bus, deliver, mailbox } = setUp();
    const publish = bus.publish;
    bus.publish = async (contract, detail, options) => {
      order.push(contract.detailType);
      return publish(contract, detail, options);
    };
    mailbox.onSend = (email) => order.push(`mail to ${email.to}`);

    await deliver(stageOf(sampleRequest({ requestId: "mail-order" }), [{ email: "bob@example.com" }]));

    expect(order).toEqual(["ApprovalRequested", "mail to bob@example.com"]);
  });

  it("writes approval-mail's table and no other", async () => {
    const { sent, deliver } = setUp();
    const send = vi.spyOn(dynamo.document, "send");
    onTestFinished(() => send.mockRestore());

    await deliver(stageOf(sampleRequest({ requestId: "mail-own-table" }), [{ email: "bob@example.com" }]));

    expect(sent).toHaveLength(1);
    const tables = send.mock.calls.map(([command]) => (command.input as { TableName?: string }).TableName);
    expect(new Set(tables)).toEqual(new Set([mailingsTable.id]));
  });

  it("sends links that verify, for that approver, until the stage's deadline, and stores only their hashes", async () => {
    const { sent, clock, deliver } = setUp();

    await deliver(stageOf(sampleRequest({ requestId: "mail-links" }), [{ email: "bob@example.com" }]));

    const email = sent[0] as OutgoingEmail;
    const approveToken = linkIn(email, "approve");
    const rejectToken = linkIn(email, "reject");
    expect(verifyDecisionToken(approveToken, "approve", TEST_KEY, clock.now())).toMatchObject({
      valid: true,
      claims: { requestId: "mail-links", approver: "bob@example.com", expiresAt: new Date(EXPIRES_AT) },
    });
    expect(verifyDecisionToken(rejectToken, "reject", TEST_KEY, clock.now()).valid).toBe(true);
    const stored = await storedMailing("mail-links");
    expect(stored.links["bob@example.com"]).toMatchObject({
      approve: [hashToken(approveToken)],
      reject: [hashToken(rejectToken)],
      messageId: "message-1",
    });
    expect(JSON.stringify(stored)).not.toContain(approveToken);
    expect(stored).toMatchObject({ stage: 0, expiresAt: EXPIRES_AT });
  });

  it("sends no second email and no second ApprovalRequested when the stage's event is delivered again", async () => {
    const { sent, bus, deliver } = setUp();
    const started = stageOf(sampleRequest({ requestId: "mail-redelivered" }));

    await deliver(started);
    await deliver(started);

    expect(sent).toHaveLength(2);
    expect(bus.eventsOf(ApprovalRequested)).toHaveLength(1);
  });

  it("counts each approver asked and each email sent once, on the delivery that mailed them", async () => {
    const { metrics, mailbox, deliver } = setUp();
    const started = stageOf(sampleRequest({ requestId: "mail-counted" }));
    mailbox.failSendTo = "cy@example.com";

    await expect(deliver(started)).rejects.toThrow("SES is unavailable");
    mailbox.failSendTo = undefined;
    await deliver(started);
    await deliver(started);

    expect(metrics.recorded).toEqual([
      { metric: "ApprovalsAsked", value: 1 },
      { metric: "EmailsSent", value: 1 },
      { metric: "ApprovalsAsked", value: 1 },
      { metric: "EmailsSent", value: 1 },
    ]);
  });

  it("mails each stage of a request, even an approver asked in both", async () => {
    const { sent, bus, deliver } = setUp();
    const request = sampleRequest({ requestId: "mail-two-stages" });

    await deliver(stageOf(request));
    await deliver(stageOf(request, [{ email: "cy@example.com" }], { stage: FINANCE, quorum: 1 }));

    expect(sent.map((email) => email.to)).toEqual(["bob@example.com", "cy@example.com", "cy@example.com"]);
    expect(
      bus.eventsOf(ApprovalRequested).map(({ detail }) => [detail.stage?.index, detail.approvers]),
    ).toEqual([
      [0, ["bob@example.com", "cy@example.com"]],
      [1, ["cy@example.com"]],
    ]);
    expect((await storedMailing("mail-two-stages", 1)).approvers).toEqual(["cy@example.com"]);
  });

  it("never mails the requester, even when the stage names them in another spelling", async () => {
    const { sent, bus, deliver } = setUp();

    await deliver(
      stageOf(sampleRequest({ requestId: "mail-not-self" }), [
        { email: "ana+approvals@example.com" },
        { email: "bob@example.com" },
      ]),
    );

    expect(sent.map((email) => email.to)).toEqual(["bob@example.com"]);
    expect(bus.eventsOf(ApprovalRequested)[0]?.detail.approvers).toEqual(["bob@example.com"]);
  });

  it("mails nobody and announces nothing when the stage names only the requester", async () => {
    const { sent, bus, deliver } = setUp();

    await deliver(stageOf(sampleRequest({ requestId: "mail-only-self" }), [{ email: "ANA@example.com" }]));

    expect(sent).toHaveLength(0);
    expect(bus.published).toHaveLength(0);
    expect(await store.get("mail-only-self", 0)).toBeUndefined();
  });

  it("escapes markup from the request in the email and keeps the subject on one line", async () => {
    const { sent, deliver } = setUp();

    await deliver(
      stageOf(
        sampleRequest({
          requestId: "mail-markup",
          requester: { email: "ana@example.com", name: "<img src=x onerror=alert(1)>" },
          justification: "<script>steal()</script>\nBcc: everyone@example.com",
        }),
        [{ email: "bob@example.com" }],
      ),
    );

    const email = sent[0] as OutgoingEmail;
    expect(email.html.value).not.toContain("<script>");
    expect(email.html.value).not.toContain("<img");
    expect(email.html.value).toContain("&lt;script&gt;steal()&lt;/script&gt;");
    expect(email.subject).not.toMatch(/[\r\n]/);
  });

  it("after a failed send, the retry mails only the approvers still waiting, with links that work", async () => {
    const { sent, bus, clock, mailbox, deliver } = setUp();
    const started = stageOf(sampleRequest({ requestId: "mail-partial" }));
    mailbox.failSendTo = "cy@example.com";

    await expect(deliver(started)).rejects.toThrow("SES is unavailable");
    mailbox.failSendTo = undefined;
    await deliver(started);

    expect(sent.map((email) => email.to)).toEqual(["bob@example.com", "cy@example.com"]);
    const stored = await storedMailing("mail-partial");
    const retriedToken = linkIn(sent[1] as OutgoingEmail, "approve");
    expect(stored.links["cy@example.com"]?.approve).toContain(hashToken(retriedToken));
    expect(verifyDecisionToken(retriedToken, "approve", TEST_KEY, clock.now()).valid).toBe(true);
    // The retry issued cy a fresh link: announced again, with every hash so far, so decision merges it.
    const announced = bus.eventsOf(ApprovalRequested);
    expect(announced).toHaveLength(2);
    expect(announced[1]?.detail.stage).toEqual(TEAM_LEADS);
    expect(announced[1]?.detail.linkHashes["cy@example.com"]?.approve).toEqual([
      ...(announced[0]?.detail.linkHashes["cy@example.com"]?.approve ?? []),
      hashToken(retriedToken),
    ]);
    expect(announced[1]?.detail.linkHashes["bob@example.com"]).toEqual(
      announced[0]?.detail.linkHashes["bob@example.com"],
    );
  });

  it("sends nothing more once the stage's deadline has passed", async () => {
    const { sent, clock, mailbox, deliver } = setUp();
    const started = stageOf(sampleRequest({ requestId: "mail-too-late" }), [{ email: "bob@example.com" }]);
    mailbox.failSendTo = "bob@example.com";

    await expect(deliver(started)).rejects.toThrow("SES is unavailable");
    mailbox.failSendTo = undefined;
    clock.advance(3600);
    await deliver(started);

    expect(sent).toHaveLength(0);
  });

  it("leaves the mails to a delivery still sending them, and takes over once its claim is stale", async () => {
    const delivery = setUp();
    const started = stageOf(sampleRequest({ requestId: "mail-claimed" }), [{ email: "bob@example.com" }]);
    // An earlier delivery stored the item and claimed the mailing a moment ago; it may still be sending.
    const earlierHash = hashToken("an earlier delivery's link");
    await store.createIfAbsent({
      requestId: "mail-claimed",
      stage: 0,
      createdAt: delivery.clock.now().toISOString(),
      approvers: ["bob@example.com"],
      links: { "bob@example.com": { approve: [earlierHash], reject: [earlierHash] } },
      expiresAt: EXPIRES_AT,
      mailClaimId: "earlier-delivery",
      mailClaimedAt: delivery.clock.now().toISOString(),
    });

    await expect(delivery.deliver(started)).rejects.toBeInstanceOf(ApprovalMailInProgressError);
    expect(delivery.sent).toHaveLength(0);

    delivery.clock.advance(MAILING_LEASE_MS / 1000 + 1);
    await delivery.deliver(started);

    expect(delivery.sent.map((email) => email.to)).toEqual(["bob@example.com"]);
    const both = [earlierHash, hashToken(linkIn(delivery.sent[0] as OutgoingEmail, "approve"))];
    expect((await storedMailing("mail-claimed")).links["bob@example.com"]?.approve).toEqual(both);
    const announced = delivery.bus.eventsOf(ApprovalRequested);
    expect(announced).toHaveLength(1);
    expect(announced[0]?.detail.linkHashes["bob@example.com"]?.approve).toEqual(both);
  });

  it("tells the approvers the lease they approve: how long after it is ready and what happens then, or no end", async () => {
    const { sent, deliver } = setUp();

    await deliver(
      stageOf(sampleRequest({ requestId: "mail-lease" }), [{ email: "bob@example.com" }], {
        lease: { duration: "P7D", onEnd: "terminate", max: "P90D" },
      }),
    );
    await deliver(
      stageOf(sampleRequest({ requestId: "mail-no-end" }), [{ email: "bob@example.com" }], {
        lease: { duration: null, onEnd: "stop", max: null },
      }),
    );

    expect(sent[0]?.text).toContain(
      "Ana <ana@example.com> asks for EC2 t3.micro (amazon-linux-2023) for 7 days after it is ready (then terminated).",
    );
    expect(sent[1]?.text).toContain("asks for EC2 t3.micro (amazon-linux-2023) with no end.");
  });

  it("asks a round of an extension apart from the request's own stage, and announces its links for that round", async () => {
    const { sent, bus, deliver } = setUp();
    const request = sampleRequest({ requestId: "mail-round" });
    await deliver(stageOf(request));

    await deliver(stageOf(request, undefined, { extension: EXTENSION }));

    expect(sent.map(({ to }) => to).sort()).toEqual([
      "bob@example.com",
      "bob@example.com",
      "cy@example.com",
      "cy@example.com",
    ]);
    const [, round] = bus.detailsOf(ApprovalRequested);
    expect(round).toMatchObject({ requestId: "mail-round", extension: EXTENSION, stage: TEAM_LEADS });
    const asked = sent.slice(2);
    for (const email of asked) {
      expect(email.subject).toBe(
        "Extension approval needed: lease of EC2 t3.micro (amazon-linux-2023) for Ana until Sun, 15 Mar 2026, 10:00 UTC (request mail-round)",
      );
      expect(email.text).toContain(
        "Ana <ana@example.com> asks to extend the lease of EC2 t3.micro (amazon-linux-2023) from Sun, 8 Mar 2026, 10:00 UTC to Sun, 15 Mar 2026, 10:00 UTC.",
      );
      expect(email.text).toContain("Why extend: The migration runs another week");
      expect(round?.linkHashes[email.to]?.approve).toEqual([hashToken(linkIn(email, "approve"))]);
    }
    expect((await storedMailing(approvalKeyOf("mail-round", EXTENSION))).approvers).toEqual([
      "bob@example.com",
      "cy@example.com",
    ]);
  });

  it("mails each round once however often it is delivered, and a later round again", async () => {
    const { sent, bus, deliver } = setUp();
    const request = sampleRequest({ requestId: "mail-rounds" });
    const first = stageOf(request, [{ email: "bob@example.com" }], { extension: EXTENSION });

    await deliver(first);
    await deliver(first);
    await deliver(stageOf(request, [{ email: "bob@example.com" }], { extension: { ...EXTENSION, n: 2 } }));

    expect(sent).toHaveLength(2);
    expect(bus.detailsOf(ApprovalRequested).map(({ extension }) => extension?.n)).toEqual([1, 2]);
  });
});
