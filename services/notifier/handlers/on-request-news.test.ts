import "../../../test/support/service-environment.ts";
import { IdempotencyAlreadyInProgressError } from "@aws-lambda-powertools/idempotency";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EmailSuppressed } from "../../../events/email-suppressed.ts";
import { ProvisioningFailed } from "../../../events/provisioning-failed.ts";
import { RequestInvalid } from "../../../events/request-invalid.ts";
import { RequesterNotified } from "../../../events/requester-notified.ts";
import { ResourceProvisioned } from "../../../events/resource-provisioned.ts";
import { localLambdaContext } from "../../../infra/local/lambda-context.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf, sampleRequest } from "../../../test/support/fixtures.ts";
import { deliverTogetherThenRetryFailures, testIdempotency } from "../../../test/support/idempotency.ts";
import { recordingPublisher } from "../../../test/support/recording-publisher.ts";
import { createLocalDirectory } from "../../shared/directory.ts";
import type { OutgoingEmail } from "../../shared/mail.ts";
import { recordingMetrics } from "../../shared/testing/metrics.ts";
import type { SuppressionReason } from "../domain.ts";
import { createNotificationStore } from "../store.ts";
import { idempotencyTable, tables } from "../tables.ts";
import { delivered } from "../testing/delivered.ts";
import { extensionDecided, leaseExpiring, releaseFailed } from "../testing/lease-news.ts";
import { createRequestNewsHandler, handler } from "./on-request-news.ts";

class SesUnavailableError extends Error {
  override readonly name = "SesUnavailableError";
}

/** Stands in for the shared `sendEmail`: records each email and answers with a message id. */
const recordingMailer = () => {
  const sent: OutgoingEmail[] = [];
  let failuresLeft = 0;
  return {
    sent,
    failNext: () => {
      failuresLeft = 1;
    },
    sendEmail: async (email: OutgoingEmail) => {
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new SesUnavailableError("SES is unavailable");
      }
      sent.push(email);
      return `message-${sent.length}`;
    },
  };
};

const provisioned = (requestId: string) =>
  delivered(ResourceProvisioned, {
    requestId,
    request: sampleRequest({ requestId }),
    instanceId: "i-0123456789abcdef0",
    privateIp: "10.0.1.25",
    provisionedAt: "2030-01-01T10:05:00.000Z",
  });

describe("notifier on the news of a request", () => {
  let dynamo: TestDynamo;
  beforeAll(async () => {
    dynamo = await startTestDynamo(tables);
  });
  afterAll(() => dynamo.close());

  /** `suppressed`: the reasons of the addresses on-ses-feedback suppressed, by canonical address. */
  const setUp = (mailer = recordingMailer(), suppressed = new Map<string, SuppressionReason>()) => {
    const bus = recordingPublisher();
    const metrics = recordingMetrics();
    const logger = silentLogger();
    const handle = createRequestNewsHandler({
      store: createNotificationStore(testIdempotency(dynamo, idempotencyTable.id, "notifier")),
      suppressions: { reasonFor: async (email) => suppressed.get(email) },
      sendEmail: mailer.sendEmail,
      publish: bus.publish,
      directory: createLocalDirectory([
        { email: "olga@example.com", groups: ["operators"] },
        { email: "omar@example.com", groups: ["operators", "approvers"] },
        // The requester of sampleRequest, an operator too: their own email says it all.
        { email: "Ana@example.com", groups: ["operators"] },
        { email: "bob@example.com", groups: ["approvers"] },
      ]),
      settings: { publicUrl: "https://approvals.example.com" },
      now: () => new Date("2030-01-01T10:05:02.000Z"),
      logger,
      metrics,
    });
    return { mailer, bus, logger, handle, metrics };
  };

  it("emails the requester and reports it with RequesterNotified", async () => {
    const { mailer, bus, handle } = setUp();
    const event = provisioned("told-1");

    await handle(event);

    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]).toMatchObject({
      to: "ana@example.com",
      subject: "Request told-1: instance i-0123456789abcdef0 is running",
    });
    expect(bus.published).toEqual([
      {
        detailType: RequesterNotified.detailType,
        source: RequesterNotified.source,
        detail: {
          requestId: "told-1",
          requesterEmail: "ana@example.com",
          about: "ResourceProvisioned",
          aboutEventId: event.id,
          messageId: "message-1",
          notifiedAt: "2030-01-01T10:05:02.000Z",
        },
      },
    ]);
  });

  it("tags the email with its request's id, so that SES's feedback on it names the request", async () => {
    const { mailer, handle } = setUp();

    await handle(provisioned("tagged"));

    expect(mailer.sent[0]?.requestId).toBe("tagged");
  });

  it("does not mail a suppressed requester: it reports the email not sent, once however often delivered", async () => {
    const { mailer, bus, metrics, handle } = setUp(
      recordingMailer(),
      new Map([["ana@example.com", "BOUNCE"]]),
    );
    const event = provisioned("bounced");

    await handle(event);
    await handle(event);

    expect(mailer.sent).toEqual([]);
    expect(bus.detailsOf(RequesterNotified)).toEqual([]);
    expect(bus.detailsOf(EmailSuppressed)).toEqual([
      {
        requestId: "bounced",
        recipient: "ana@example.com",
        reason: "BOUNCE",
        about: "ResourceProvisioned",
        aboutEventId: event.id,
        suppressedAt: "2030-01-01T10:05:02.000Z",
      },
    ]);
    expect(metrics.recorded).toEqual([{ metric: "EmailsSuppressed", value: 1 }]);
  });

  it("mails a failed release to the operators but the one who complained", async () => {
    const { mailer, bus, handle } = setUp(recordingMailer(), new Map([["olga@example.com", "COMPLAINT"]]));

    await handle(releaseFailed("complained"));

    expect(mailer.sent.map(({ to }) => to).sort()).toEqual(["ana@example.com", "omar@example.com"]);
    expect(bus.detailsOf(EmailSuppressed)).toMatchObject([
      { requestId: "complained", recipient: "olga@example.com", reason: "COMPLAINT", about: "ReleaseFailed" },
    ]);
  });

  it("sends one email per event when the same event is delivered three times in a row", async () => {
    const { mailer, bus, handle } = setUp();
    const event = provisioned("sequential");

    await handle(event);
    await handle(event);
    await handle(event);

    expect(mailer.sent).toHaveLength(1);
    expect(bus.detailsOf(RequesterNotified)).toHaveLength(1);
  });

  it("counts each email once, however often its event is delivered", async () => {
    const { metrics, handle } = setUp();
    const event = provisioned("counted");

    await handle(event);
    await handle(event);

    expect(metrics.recorded).toEqual([{ metric: "EmailsSent", value: 1 }]);
  });

  it("sends one email per event when the same event is delivered three times at once and retried", async () => {
    const { mailer, bus, handle } = setUp();
    const event = provisioned("concurrent");

    const failures = await deliverTogetherThenRetryFailures(handle, [event, event, event]);

    expect(failures.filter((failure) => !(failure instanceof IdempotencyAlreadyInProgressError))).toEqual([]);
    expect(mailer.sent).toHaveLength(1);
    expect(bus.detailsOf(RequesterNotified)).toHaveLength(1);
  });

  it("fails a delivery that finds the email being sent by another, for the bus to retry it", async () => {
    const event = provisioned("sending");
    const mailer = recordingMailer();
    let sending = false;
    let finishSending: () => void = () => {};
    const holder = setUp({
      ...mailer,
      sendEmail: async (email) => {
        sending = true;
        await new Promise<void>((resolve) => {
          finishSending = resolve;
        });
        return mailer.sendEmail(email);
      },
    });
    const held = holder.handle(event);
    await expect.poll(() => sending).toBe(true);
    const { handle } = setUp(mailer);

    await expect(handle(event)).rejects.toBeInstanceOf(IdempotencyAlreadyInProgressError);
    finishSending();
    await held;
    await handle(event);

    expect(mailer.sent).toHaveLength(1);
    expect(holder.bus.detailsOf(RequesterNotified)).toMatchObject([{ messageId: "message-1" }]);
  });

  it("emails again for another event of the same request", async () => {
    const { mailer, handle } = setUp();

    await handle(provisioned("two-events"));
    await handle(
      delivered(ProvisioningFailed, {
        requestId: "two-events",
        request: sampleRequest({ requestId: "two-events" }),
        reason: "Instance ended before it was ever running",
        failedAt: "2030-01-01T10:06:00.000Z",
      }),
    );

    expect(mailer.sent.map((email) => email.subject)).toEqual([
      "Request two-events: instance i-0123456789abcdef0 is running",
      "Request two-events: the instance could not be launched",
    ]);
  });

  it("sends nothing, and says so in the log, for an invalid request without a requester email", async () => {
    const { mailer, bus, logger, handle } = setUp();
    const logged = vi.spyOn(logger, "info");

    await handle(
      delivered(RequestInvalid, {
        requestId: "anonymous",
        errors: [{ field: "requester.email", message: "is required" }],
        sourceEventId: "evt-0",
        rejectedAt: "2030-01-01T10:00:00.000Z",
      }),
    );

    expect(mailer.sent).toEqual([]);
    expect(bus.published).toEqual([]);
    expect(logged).toHaveBeenCalledWith(
      "No requester email in the event: nobody to notify",
      expect.objectContaining({ requestId: "anonymous" }),
    );
  });

  it("throws when SES fails, and sends the email on the retry", async () => {
    const { mailer, bus, handle } = setUp();
    const event = provisioned("ses-down");
    mailer.failNext();

    await expect(handle(event)).rejects.toThrow("SES is unavailable");
    await handle(event);

    expect(mailer.sent).toHaveLength(1);
    expect(bus.detailsOf(RequesterNotified)).toHaveLength(1);
  });

  it("reports the email on the retry without sending it again when the bus refused the report", async () => {
    const { mailer, bus, handle } = setUp();
    const event = provisioned("bus-down");
    bus.failNext();

    await expect(handle(event)).rejects.toThrow("EventBridge is unreachable");
    await handle(event);

    expect(mailer.sent).toHaveLength(1);
    expect(bus.detailsOf(RequesterNotified)).toMatchObject([
      { aboutEventId: event.id, messageId: "message-1" },
    ]);
  });

  it("reminds the requester of the lease's end once, with links to extend it and to release it now", async () => {
    const { mailer, bus, handle } = setUp();
    const event = leaseExpiring("reminded");

    await handle(event);
    await handle(event);

    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]?.to).toBe("ana@example.com");
    expect(mailer.sent[0]?.text).toContain("https://approvals.example.com/requests/reminded?action=extend");
    expect(mailer.sent[0]?.text).toContain("https://approvals.example.com/requests/reminded?action=release");
    expect(bus.detailsOf(RequesterNotified)).toMatchObject([
      { about: "LeaseExpiring", aboutEventId: event.id },
    ]);
  });

  it("tells nobody of an approved extension: the LeaseExtended after it tells the new end", async () => {
    const { mailer, bus, handle } = setUp();

    await handle(extensionDecided("granted", { approved: true, decider: "bob@example.com" }));

    expect(mailer.sent).toEqual([]);
    expect(bus.published).toEqual([]);
  });

  it("mails a failed release to the requester and to every other operator, once each under redelivery", async () => {
    const { mailer, bus, handle } = setUp();
    const event = releaseFailed("not-gone");

    await handle(event);
    await handle(event);
    await deliverTogetherThenRetryFailures(handle, [event, event]);

    expect(mailer.sent.map(({ to }) => to).sort()).toEqual([
      "ana@example.com",
      "olga@example.com",
      "omar@example.com",
    ]);
    expect(mailer.sent.find(({ to }) => to === "olga@example.com")?.subject).toBe(
      "Release failed: instance i-0123456789abcdef0 of request not-gone",
    );
    expect(bus.detailsOf(RequesterNotified)).toMatchObject([
      { requesterEmail: "ana@example.com", about: "ReleaseFailed" },
    ]);
  });

  it("mails on the retry only the operators SES refused, when it failed halfway", async () => {
    const mailer = recordingMailer();
    let refusals = 0;
    const { handle } = setUp({
      ...mailer,
      sendEmail: async (email) => {
        if (email.to === "omar@example.com" && refusals++ === 0)
          throw new SesUnavailableError("SES is unavailable");
        return mailer.sendEmail(email);
      },
    });
    const event = releaseFailed("half-told");

    await expect(handle(event)).rejects.toThrow("SES is unavailable");
    await handle(event);

    expect(mailer.sent.map(({ to }) => to).sort()).toEqual([
      "ana@example.com",
      "olga@example.com",
      "omar@example.com",
    ]);
  });

  it("parses the bus's envelope in the deployed handler, refusing a detail that breaks its contract", async () => {
    const envelope = envelopeOf(
      RequestInvalid,
      {
        requestId: "wired",
        errors: [{ field: "requester", message: "is required" }],
        sourceEventId: "evt-0",
        rejectedAt: "2030-01-01T10:00:00.000Z",
      },
      { id: "evt-wired" },
    );
    const context = localLambdaContext("notifier-on-request-news", "us-east-1", "000000000000");
    // The bus hands the handler raw JSON: the middleware's parse is what types it.
    const invoke = handler as unknown as (event: unknown, context: Context) => Promise<unknown>;

    await expect(invoke(envelope, context)).resolves.toBeUndefined();
    await expect(invoke({ ...envelope, detail: { requestId: "wired" } }, context)).rejects.toMatchObject({
      name: "ParseError",
    });
  });
});
