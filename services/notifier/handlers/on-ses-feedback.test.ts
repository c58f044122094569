import "../../../test/support/service-environment.ts";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SesEmailBounced, SesEmailComplaintReceived } from "../../../events/ses-feedback.ts";
import { localLambdaContext } from "../../../infra/local/lambda-context.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { silentLogger } from "../../../test/support/fakes.ts";
import { envelopeOf } from "../../../test/support/fixtures.ts";
import type { SesFeedbackEvent } from "../domain.ts";
import { createSuppressionStore } from "../store.ts";
import { suppressionsTable, tables } from "../tables.ts";
import { createSesFeedbackHandler, handler, sesFeedbackSchema } from "./on-ses-feedback.ts";

const mail = (to: string, requestId?: string) => ({
  timestamp: "2030-01-01T10:00:00.000Z",
  messageId: `message-to-${to}`,
  destination: [to],
  ...(requestId && { tags: { requestId: [requestId], "ses:configuration-set": ["approvals"] } }),
});

const bounce = (to: string, bounceType: "Permanent" | "Transient", requestId?: string) =>
  envelopeOf(SesEmailBounced, {
    eventType: "Bounce",
    bounce: {
      bounceType,
      bounceSubType: "General",
      bouncedRecipients: [{ emailAddress: to, status: "5.1.1" }],
      timestamp: "2030-01-01T10:00:05.000Z",
    },
    mail: mail(to, requestId),
  });

const complaint = (to: string) =>
  envelopeOf(SesEmailComplaintReceived, {
    eventType: "Complaint",
    complaint: { complainedRecipients: [{ emailAddress: to }], timestamp: "2030-01-01T11:00:00.000Z" },
    mail: mail(to),
  });

describe("notifier on SES's feedback", () => {
  let dynamo: TestDynamo;
  beforeAll(async () => {
    dynamo = await startTestDynamo(tables);
  });
  afterAll(() => dynamo.close());

  const setUp = () => {
    const suppressions = createSuppressionStore(dynamo.document, suppressionsTable.id);
    const handle = createSesFeedbackHandler({ suppressions, logger: silentLogger() });
    return {
      suppressions,
      handle: (event: unknown) => handle(sesFeedbackSchema.parse(event) as SesFeedbackEvent),
    };
  };

  it("suppresses an address that bounced for good, by its canonical form, naming the request", async () => {
    const { suppressions, handle } = setUp();

    await handle(bounce("Gone@Example.com", "Permanent", "req-bounced"));

    expect(await suppressions.reasonFor("gone@example.com")).toBe("BOUNCE");
    const { Item } = await dynamo.document.send(
      new GetCommand({
        TableName: suppressionsTable.id,
        Key: { email: "gone@example.com" },
      }),
    );
    expect(Item).toMatchObject({ requestId: "req-bounced", messageId: "message-to-Gone@Example.com" });
  });

  it("keeps mailing an address whose bounce was transient", async () => {
    const { suppressions, handle } = setUp();

    await handle(bounce("full@example.com", "Transient"));

    expect(await suppressions.reasonFor("full@example.com")).toBeUndefined();
  });

  it("suppresses an address that complained, an email without tags too", async () => {
    const { suppressions, handle } = setUp();

    await handle(complaint("angry@example.com"));
    await handle(complaint("angry@example.com"));

    expect(await suppressions.reasonFor("angry@example.com")).toBe("COMPLAINT");
  });

  it("parses the default bus's envelope in the deployed handler, refusing a detail that breaks SES's shape", async () => {
    const context = localLambdaContext("notifier-on-ses-feedback", "us-east-1", "000000000000");
    const invoke = handler as unknown as (event: unknown, context: Context) => Promise<unknown>;
    // Transient: the wired handler's store is the deployment's, which this test does not reach.
    const event = bounce("wired@example.com", "Transient");

    await expect(invoke(event, context)).resolves.toBeUndefined();
    await expect(invoke({ ...event, detail: { eventType: "Bounce" } }, context)).rejects.toMatchObject({
      name: "ParseError",
    });
  });
});
