import { describe, expect, it } from "vitest";
import { waitForSlackMessages } from "../support/chat.ts";
import { localUsersEnv, submit, validRequest, waitForStatus } from "../support/flow.ts";
import { chromiumAvailable, defaultLocalUser, useStackAndBrowser } from "./support.ts";

const APPROVER = defaultLocalUser("approver@example.com");

describe.skipIf(!chromiumAvailable)("the Slack and Teams tabs of the local mailbox, in Chromium", () => {
  const under = useStackAndBrowser(localUsersEnv());

  it("rejects from an approver's direct message with the reason the modal asks; the message then says so, and Teams shows the cards", async () => {
    const { stack, session } = under;
    const submitted = await submit(stack, validRequest({ justification: "Rejected in Slack" }));
    expect(submitted.status).toBe(202);
    const requestId = String(submitted.body.requestId);

    await waitForSlackMessages(stack, requestId, (messages) =>
      messages.some((message) => message.to === APPROVER.email),
    );

    const page = await session.newPage();
    // The mailbox serves no icon; the browser asks for one all the same.
    session.expectProblem(/favicon\.ico/);
    await page.goto(stack.mailboxUrl);
    await page.getByRole("link", { name: "Slack" }).click();
    await page.waitForURL(`${stack.mailboxUrl}/slack`);
    const conversation = page.locator("section.conversation", {
      has: page.getByRole("heading", { name: `Direct message · ${APPROVER.name} <${APPROVER.email}>` }),
    });
    const message = conversation.locator(".message", { hasText: requestId });
    await message.getByRole("button", { name: "Reject" }).waitFor();
    await expect(message.textContent()).resolves.toContain("Rejected in Slack");

    await message.getByRole("button", { name: "Reject" }).click();
    const modal = page.locator("form.view");
    await modal.getByRole("heading", { name: "Reject request" }).waitFor();
    await modal.getByLabel(`Why do you reject request ${requestId}?`).fill("Use the shared build pool");
    await modal.getByRole("button", { name: "Reject" }).click();

    // The page reloads itself once the stand-in has something new: the message as chat updates it.
    await message.getByText(`Rejected by ${APPROVER.email}`).waitFor({ timeout: 20_000 });
    await expect(message.textContent()).resolves.toContain("Use the shared build pool");
    expect(await message.getByRole("button").count()).toBe(0);
    await waitForStatus(stack, requestId, "REJECTED");

    await page.getByRole("link", { name: "Teams" }).click();
    await page.waitForURL(`${stack.mailboxUrl}/teams`);
    const cards = page.locator(".card", { hasText: requestId });
    // One asking, one telling the rejection (the page reloads until the second is posted).
    await cards.nth(1).waitFor({ timeout: 20_000 });
    await expect(cards.nth(1).textContent()).resolves.toMatch(/rejected/i);
    const open = cards.first().getByRole("link", { name: /open request/i });
    await expect(open.getAttribute("href")).resolves.toBe(`${stack.portalUrl}/requests/${requestId}`);
  });
});
