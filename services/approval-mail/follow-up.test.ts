import "../../test/support/service-environment.ts";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalRequested } from "../../events/approval-requested.ts";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { manualClock, silentLogger } from "../../test/support/fakes.ts";
import { sampleRequest } from "../../test/support/fixtures.ts";
import { testIdempotency } from "../../test/support/idempotency.ts";
import { recordingPublisher } from "../../test/support/recording-publisher.ts";
import { approvalKeyOf } from "../shared/approval-asks.ts";
import { hashToken } from "../shared/decision-token.ts";
import type { OutgoingEmail } from "../shared/mail.ts";
import { TEST_KEY } from "../shared/testing/decision-tokens.ts";
import { recordingMetrics } from "../shared/testing/metrics.ts";
import { createFollowUpMailer, type Escalated, type Reminded } from "./follow-up.ts";
import {
  createOnApprovalEscalatedHandler,
  StageNotMailedYetError,
} from "./handlers/on-approval-escalated.ts";
import { createOnApproversRemindedHandler } from "./handlers/on-approvers-reminded.ts";
import { createMailingStore, type MailingStore } from "./store.ts";
import { idempotencyTable, mailingsTable } from "./tables.ts";

const EXPIRES_AT = "2026-03-01T11:00:00.000Z";
const STAGE = { index: 0, name: "team leads", count: 1 };

/** Round 1 of the extensions of a request's lease. */
const EXTENSION = {
  n: 1,
  from: "2026-03-08T10:00:00.000Z",
  until: "2026-03-15T10:00:00.000Z",
  justification: "The migration runs another week",
};

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

const setUp = () => {
  const bus = recordingPublisher();
  const sent: OutgoingEmail[] = [];
  const metrics = recordingMetrics();
  const mail = createFollowUpMailer({
    store,
    publisher: bus,
    sendEmail: async (email) => {
      sent.push(email);
      return `message-${sent.length}`;
    },
    hmacKey: async () => TEST_KEY,
    now: manualClock().now,
    randomBytes,
    settings: { publicUrl: "http://localhost:3000", decisionsRequireSignIn: false },
    logger: silentLogger(),
    metrics,
  });
  return {
    bus,
    sent,
    metrics,
    remind: createOnApproversRemindedHandler(mail),
    escalate: createOnApprovalEscalatedHandler(mail, store),
  };
};

const reminded = (requestId: string, n: number, approvers: string[]): Reminded => ({
  requestId,
  request: sampleRequest({ requestId }),
  stage: STAGE,
  approvers,
  quorum: 2,
  reminder: { n, max: 2 },
  expiresAt: EXPIRES_AT,
  remindedAt: "2026-03-01T10:10:00.000Z",
});

const escalated = (requestId: string, approvers: string[]): Escalated => ({
  requestId,
  request: sampleRequest({ requestId }),
  stage: STAGE,
  approvers,
  quorum: 2,
  expiresAt: EXPIRES_AT,
  escalatedAt: "2026-03-01T10:20:00.000Z",
});

const tokenIn = (email: OutgoingEmail, action: "approve" | "reject") =>
  decodeURIComponent(email.text.match(new RegExp(`/decisions/${action}\\?token=(\\S+)`))?.[1] ?? "");

describe("approval-mail on ApproversReminded", () => {
  it("mails each approver not yet answered a reminder whose fresh links decision hears of first, never the requester", async () => {
    const { bus, sent, remind } = setUp();

    await remind(reminded("remind-1", 1, ["bob@example.com", "ana@example.com"]));

    const [announced] = bus.detailsOf(ApprovalRequested);
    const [email] = sent;
    expect(sent.map(({ to }) => to)).toEqual(["bob@example.com"]);
    expect(email?.subject).toMatch(/^Reminder: Approval needed/);
    expect(email?.text).toContain("reminder 1 of 2");
    expect(announced).toMatchObject({ requestId: "remind-1", approvers: ["bob@example.com"], stage: STAGE });
    expect(announced?.linkHashes["bob@example.com"]).toEqual({
      approve: [hashToken(tokenIn(email as OutgoingEmail, "approve"))],
      reject: [hashToken(tokenIn(email as OutgoingEmail, "reject"))],
    });
  });

  it("says, as the stage's first email does, how long the resource is approved for and what happens at the end", async () => {
    const { sent, remind } = setUp();

    await remind({
      ...reminded("remind-lease", 1, ["bob@example.com"]),
      lease: { duration: "PT36H", onEnd: "stop", max: "P30D" },
    });

    expect(sent[0]?.text).toContain(
      "asks for EC2 t3.micro (amazon-linux-2023) for 1 day and 12 hours after it is ready (then stopped).",
    );
  });

  it("sends each reminder once per approver however often it is delivered, and the next reminder again", async () => {
    const { sent, remind } = setUp();

    await remind(reminded("remind-2", 1, ["bob@example.com"]));
    await remind(reminded("remind-2", 1, ["bob@example.com"]));
    await remind(reminded("remind-2", 2, ["bob@example.com"]));

    expect(sent.map(({ text }) => /reminder (\d) of 2/.exec(text)?.[1])).toEqual(["1", "2"]);
  });

  it("counts each reminder sent as an email, not as an approver asked anew", async () => {
    const { metrics, remind } = setUp();

    await remind(reminded("remind-counted", 1, ["bob@example.com"]));
    await remind(reminded("remind-counted", 1, ["bob@example.com"]));

    expect(metrics.recorded).toEqual([{ metric: "EmailsSent", value: 1 }]);
  });

  it("reminds the approvers of an extension round of the extension, apart from the request's own reminders", async () => {
    const { bus, sent, remind } = setUp();

    await remind(reminded("remind-round", 1, ["bob@example.com"]));
    await remind({ ...reminded("remind-round", 1, ["bob@example.com"]), extension: EXTENSION });
    await remind({ ...reminded("remind-round", 1, ["bob@example.com"]), extension: EXTENSION });

    expect(sent).toHaveLength(2);
    expect(sent[1]?.subject).toMatch(/^Reminder: Extension approval needed: lease of /);
    expect(sent[1]?.text).toContain("the extension still waits for your answer");
    expect(sent[1]?.text).toContain("Why extend: The migration runs another week");
    expect(bus.detailsOf(ApprovalRequested).map(({ extension }) => extension)).toEqual([
      undefined,
      EXTENSION,
      EXTENSION,
    ]);
  });
});

describe("approval-mail on ApprovalEscalated", () => {
  it("asks the added approvers as escalation, once each, and counts them among those told how the request ended", async () => {
    const { sent, escalate } = setUp();
    await store.createIfAbsent({
      requestId: "escalate-1",
      stage: 0,
      createdAt: "2026-03-01T10:00:00.000Z",
      approvers: ["bob@example.com"],
      links: {},
      expiresAt: EXPIRES_AT,
    });

    await escalate(escalated("escalate-1", ["op@example.com"]));
    await escalate(escalated("escalate-1", ["op@example.com"]));

    expect(sent.map(({ to }) => to)).toEqual(["op@example.com"]);
    expect(sent[0]?.text).toContain("asked as escalation");
    expect((await store.get("escalate-1", 0))?.escalatedTo).toEqual(new Set(["op@example.com"]));
  });

  it("counts each approver an escalation asks, and their email, once", async () => {
    const { metrics, escalate } = setUp();
    await store.createIfAbsent({
      requestId: "escalate-counted",
      stage: 0,
      createdAt: "2026-03-01T10:00:00.000Z",
      approvers: ["bob@example.com"],
      links: {},
      expiresAt: EXPIRES_AT,
    });

    await escalate(escalated("escalate-counted", ["op@example.com"]));
    await escalate(escalated("escalate-counted", ["op@example.com"]));

    expect(metrics.recorded).toEqual([
      { metric: "ApprovalsAsked", value: 1 },
      { metric: "EmailsSent", value: 1 },
    ]);
  });

  it("tells the added approvers the lease they approve, as the stage's first email does", async () => {
    const { sent, escalate } = setUp();
    await store.createIfAbsent({
      requestId: "escalate-lease",
      stage: 0,
      createdAt: "2026-03-01T10:00:00.000Z",
      approvers: ["bob@example.com"],
      links: {},
      expiresAt: EXPIRES_AT,
    });

    await escalate({
      ...escalated("escalate-lease", ["op@example.com"]),
      lease: { duration: null, onEnd: "terminate", max: null },
    });

    expect(sent[0]?.text).toContain("asks for EC2 t3.micro (amazon-linux-2023) with no end.");
  });

  it("records an extension round's escalation on that round's mailing, not the request's", async () => {
    const { sent, escalate } = setUp();
    await store.createIfAbsent({
      requestId: approvalKeyOf("escalate-round", EXTENSION),
      stage: 0,
      createdAt: "2026-03-01T10:00:00.000Z",
      approvers: ["bob@example.com"],
      links: {},
      expiresAt: EXPIRES_AT,
    });

    await escalate({ ...escalated("escalate-round", ["op@example.com"]), extension: EXTENSION });

    expect(sent.map(({ to }) => to)).toEqual(["op@example.com"]);
    expect((await store.get(approvalKeyOf("escalate-round", EXTENSION), 0))?.escalatedTo).toEqual(
      new Set(["op@example.com"]),
    );
    expect(await store.get("escalate-round", 0)).toBeUndefined();
  });

  it("waits, to be retried, while the stage's own mailing has not been made", async () => {
    const { sent, escalate } = setUp();

    await expect(escalate(escalated("escalate-early", ["op@example.com"]))).rejects.toThrow(
      StageNotMailedYetError,
    );
    expect(sent).toEqual([]);
  });
});
