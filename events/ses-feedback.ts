import { z } from "zod";
import { defineEvent } from "./contract.ts";

/**
 * The email a feedback event is about, as SES describes it ("Contents of event data that Amazon SES
 * publishes"): only what we read is checked, AWS adds fields of its own. `tags` holds the email's
 * message tags (ours: the request's id) and the ones SES adds, each name to its values.
 */
const sentMailSchema = z.object({
  messageId: z.string(),
  timestamp: z.string(),
  destination: z.array(z.string()),
  tags: z.record(z.string(), z.array(z.string())).optional(),
});

const recipientSchema = z.object({ emailAddress: z.string() });

/** The message tag each email we send carries: the id of the request it is about. */
export const REQUEST_ID_TAG = "requestId";

/**
 * Published by SES itself, through the configuration set's EventBridge destination (or by the local
 * mailbox, for SES's mailbox simulator), on the default bus; we only consume it. A `Transient` bounce
 * may deliver later; only a `Permanent` one means the address takes no email.
 */
export const SesEmailBounced = defineEvent({
  source: "aws.ses",
  detailType: "Email Bounced",
  description: "SES reports that a recipient's mail server refused an email.",
  schema: z.object({
    eventType: z.literal("Bounce"),
    bounce: z.object({
      bounceType: z.enum(["Permanent", "Transient", "Undetermined"]),
      bounceSubType: z.string(),
      bouncedRecipients: z.array(recipientSchema).min(1),
      timestamp: z.string(),
    }),
    mail: sentMailSchema,
  }),
});

/** Published by SES (or the local mailbox) on the default bus when a recipient marks an email as spam. */
export const SesEmailComplaintReceived = defineEvent({
  source: "aws.ses",
  detailType: "Email Complaint Received",
  description: "SES reports that a recipient marked an email as spam.",
  schema: z.object({
    eventType: z.literal("Complaint"),
    complaint: z.object({
      complainedRecipients: z.array(recipientSchema).min(1),
      timestamp: z.string(),
    }),
    mail: sentMailSchema,
  }),
});
