import "../../test/support/service-environment.ts";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { html } from "./html.ts";
import { MissingMessageIdError, sendEmail } from "./mail.ts";

const ses = mockClient(SESv2Client);
afterEach(() => ses.reset());

const email = {
  to: "ana@example.com",
  subject: "Hello\r\nBcc: x@example.com",
  text: "Hi",
  html: html`<p>Hi</p>`,
};

describe("sendEmail", () => {
  it("sends from the sender, on one subject line, and resolves to SES's message id", async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: "msg-1" });

    const messageId = await sendEmail(email);

    expect(messageId).toBe("msg-1");
    const [call] = ses.commandCalls(SendEmailCommand);
    expect(call?.args[0].input).toMatchObject({
      FromEmailAddress: "approvals@example.com",
      Destination: { ToAddresses: ["ana@example.com"] },
      Content: { Simple: { Subject: { Data: "Hello Bcc: x@example.com" } } },
    });
  });

  it("fails with MissingMessageIdError when SES answers without a message id", async () => {
    ses.on(SendEmailCommand).resolves({});

    await expect(sendEmail(email)).rejects.toThrow(MissingMessageIdError);
  });
});
