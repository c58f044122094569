import "../../test/support/service-environment.ts";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it, vi } from "vitest";
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

  it("tags the email with the request it is about, for SES's bounces and complaints to name it", async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: "msg-1" });

    await sendEmail({ ...email, requestId: "req-1" });

    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.EmailTags).toEqual([
      { Name: "requestId", Value: "req-1" },
    ]);
  });

  it("names the stack's configuration set when one is configured, and none locally", async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: "msg-1" });
    await sendEmail(email);
    vi.stubEnv("SES_CONFIGURATION_SET", "approvals-mail");
    vi.resetModules();
    const configured = await import("./mail.ts");
    vi.unstubAllEnvs();

    await configured.sendEmail(email);

    const [local, deployed] = ses.commandCalls(SendEmailCommand).map((call) => call.args[0].input);
    expect(local?.ConfigurationSetName).toBeUndefined();
    expect(deployed?.ConfigurationSetName).toBe("approvals-mail");
  });

  it("fails with MissingMessageIdError when SES answers without a message id", async () => {
    ses.on(SendEmailCommand).resolves({});

    await expect(sendEmail(email)).rejects.toThrow(MissingMessageIdError);
  });
});
