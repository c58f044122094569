import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { REQUEST_ID_TAG } from "../../events/ses-feedback.ts";
import { env, loadConfig } from "./config.ts";
import type { SafeHtml } from "./html.ts";
import { traced } from "./observability.ts";

/**
 * SES_CONFIGURATION_SET: the stack's configuration set (infra/aws/constructs/ses.ts), whose event
 * destination reports bounces and complaints on the default bus; the local mailbox has none.
 */
const config = loadConfig({ SENDER: env.email(), SES_CONFIGURATION_SET: env.text().optional() });

const ses = traced(new SESv2Client({}));

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: SafeHtml;
  /** The request the email is about: tagged on the email, so that SES's feedback on it names the request. */
  requestId?: string;
}

/** SES names every email it accepts; the services record that id as proof the email went out. */
export class MissingMessageIdError extends Error {
  override readonly name = "MissingMessageIdError";
}

/** A subject is a header: line breaks in it would let request text add headers of its own. */
const singleLine = (value: string) => value.replace(/[\r\n\t]+/g, " ").trim();

/** Sends one email (HTML and text) from the configured sender; resolves to SES's message id. */
export const sendEmail = async ({ to, subject, text, html, requestId }: OutgoingEmail): Promise<string> => {
  const output = await ses.send(
    new SendEmailCommand({
      FromEmailAddress: config.SENDER,
      ConfigurationSetName: config.SES_CONFIGURATION_SET,
      EmailTags: requestId === undefined ? undefined : [{ Name: REQUEST_ID_TAG, Value: requestId }],
      Destination: { ToAddresses: [to] },
      Content: {
        Simple: {
          Subject: { Data: singleLine(subject), Charset: "UTF-8" },
          Body: { Text: { Data: text, Charset: "UTF-8" }, Html: { Data: html.value, Charset: "UTF-8" } },
        },
      },
    }),
  );
  if (!output.MessageId) throw new MissingMessageIdError("SES accepted the email but returned no MessageId");
  return output.MessageId;
};
