import { describe, expect, it } from "vitest";
import { DEFAULT_BUS } from "../../events/contract.ts";
import { SesEmailBounced, SesEmailComplaintReceived } from "../../events/ses-feedback.ts";
import { SIMULATOR, type StoredEmail, sesFeedbackOf } from "./ses-events.ts";

const emailTo = (...to: string[]): StoredEmail => ({
  messageId: "ses-123456789",
  from: "approvals@example.com",
  destination: { to, cc: [], bcc: [] },
  at: 1_893_492_000,
});

const now = new Date("2030-01-01T10:00:05.000Z");

describe("the local SES's feedback on the mailbox simulator's addresses", () => {
  it("reports an email to the bounce address as SES's permanent bounce, on the default bus", () => {
    const [bounce, ...others] = sesFeedbackOf(emailTo(SIMULATOR.bounce), "eu-west-1", now);

    expect(others).toEqual([]);
    expect(bounce?.eventBusName).toBe(DEFAULT_BUS);
    expect(bounce?.event).toMatchObject({
      source: "aws.ses",
      "detail-type": "Email Bounced",
      region: "eu-west-1",
    });
    const detail = SesEmailBounced.schema.parse(bounce?.event.detail);
    expect(detail.bounce).toMatchObject({
      bounceType: "Permanent",
      bouncedRecipients: [{ emailAddress: SIMULATOR.bounce }],
    });
    expect(detail.mail).toMatchObject({
      messageId: "ses-123456789",
      destination: [SIMULATOR.bounce],
      timestamp: "2030-01-01T10:00:00.000Z",
    });
  });

  it("reports an email to the complaint address as SES's complaint", () => {
    const [complaint] = sesFeedbackOf(emailTo(SIMULATOR.complaint), "us-east-1", now);

    expect(complaint?.event["detail-type"]).toBe("Email Complaint Received");
    expect(SesEmailComplaintReceived.schema.parse(complaint?.event.detail).complaint).toMatchObject({
      complainedRecipients: [{ emailAddress: SIMULATOR.complaint }],
    });
  });

  it("reports nothing of an email to anyone else", () => {
    expect(sesFeedbackOf(emailTo("ana@example.com"), "us-east-1", now)).toEqual([]);
  });
});
