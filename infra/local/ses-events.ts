import { DEFAULT_BUS } from "../../events/contract.ts";
import { SesEmailBounced, SesEmailComplaintReceived } from "../../events/ses-feedback.ts";
import { newBusEvent } from "./eventbridge/envelope.ts";
import type { AcceptedEvent, EventBusEngine } from "./eventbridge/types.ts";

/** SES's mailbox simulator: an email to one of these always bounces for good, or is complained about. */
export const SIMULATOR = {
  bounce: "bounce@simulator.amazonses.com",
  complaint: "complaint@simulator.amazonses.com",
} as const;

/** What of a stored email the feedback names (aws-ses-v2-local's email, as the mailbox journals it). */
export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  at: number;
}

/**
 * The events SES would put on the default bus through the configuration set's destination for an email
 * to the simulator's addresses: `aws.ses` "Email Bounced" (Permanent) and "Email Complaint Received",
 * shaped as AWS documents them. The local mailbox keeps no message tags, so these carry none.
 */
export const sesFeedbackOf = (email: StoredEmail, region: string, now = new Date()): AcceptedEvent[] => {
  const destination = [...email.destination.to, ...email.destination.cc, ...email.destination.bcc];
  const recipients = (address: string) =>
    destination.filter((recipient) => recipient.toLowerCase() === address);
  const mail = {
    timestamp: new Date(email.at * 1000).toISOString(),
    source: email.from,
    messageId: email.messageId,
    destination,
  };
  const timestamp = now.toISOString();
  const bounced = recipients(SIMULATOR.bounce).map((emailAddress) => ({
    emailAddress,
    action: "failed",
    status: "5.1.1",
    diagnosticCode: "smtp; 550 5.1.1 user unknown",
  }));
  const complained = recipients(SIMULATOR.complaint).map((emailAddress) => ({ emailAddress }));
  const event = (source: string, detailType: string, detail: unknown): AcceptedEvent => ({
    eventBusName: DEFAULT_BUS,
    event: newBusEvent({ source, detailType, detail, region, time: now }),
  });
  return [
    ...(bounced.length > 0
      ? [
          event(SesEmailBounced.source, SesEmailBounced.detailType, {
            eventType: "Bounce",
            bounce: {
              bounceType: "Permanent",
              bounceSubType: "General",
              bouncedRecipients: bounced,
              timestamp,
              feedbackId: `local-bounce-${email.messageId}`,
            },
            mail,
          }),
        ]
      : []),
    ...(complained.length > 0
      ? [
          event(SesEmailComplaintReceived.source, SesEmailComplaintReceived.detailType, {
            eventType: "Complaint",
            complaint: {
              complainedRecipients: complained,
              timestamp,
              feedbackId: `local-complaint-${email.messageId}`,
              complaintFeedbackType: "abuse",
            },
            mail,
          }),
        ]
      : []),
  ];
};

/**
 * Reports each stored email's simulated feedback on the bus, after SES has answered the sender as AWS
 * does; a failure to put it is logged, as nobody waits on it.
 */
export const publishSesFeedback =
  (bus: EventBusEngine, region: string, log: (line: string) => void) =>
  (email: StoredEmail): void => {
    const events = sesFeedbackOf(email, region);
    if (events.length === 0) return;
    bus.accept(events).catch((error: unknown) => {
      log(`[mailbox] SES feedback on ${email.messageId} not put on the bus: ${String(error)}`);
    });
  };
