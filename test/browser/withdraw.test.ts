import { describe, expect, it } from "vitest";
import { waitForEmails } from "../support/flow.ts";
import {
  chromiumAvailable,
  defaultLocalUser,
  openSignedIn,
  submitFromForm,
  useStackAndBrowser,
} from "./support.ts";

const REQUESTER = defaultLocalUser("requester@example.com");
const APPROVER = defaultLocalUser("approver@example.com");
const LOCAL_USERS = JSON.stringify([REQUESTER, APPROVER]);

describe.skipIf(!chromiumAvailable)("withdrawing a request on its page, in Chromium", () => {
  const under = useStackAndBrowser({ LOCAL_USERS });

  it("offers the requester alone to withdraw, after a confirmation with a reason; the page then shows Cancelled", async () => {
    const { stack, session } = under;
    const requesterPage = await openSignedIn(session, stack.portalUrl, REQUESTER);
    const requestId = await submitFromForm(requesterPage, "Withdrawn on its page");
    await waitForEmails(stack, APPROVER.email, requestId);

    // The approver asked sees the request, but it is not theirs to withdraw.
    const approverPage = await openSignedIn(session, `${stack.portalUrl}/requests/${requestId}`, APPROVER);
    await approverPage.getByText("Pending approval", { exact: true }).waitFor();
    expect(await approverPage.getByRole("button", { name: "Withdraw request" }).count()).toBe(0);

    // One click withdraws nothing: the confirmation can be backed out of.
    await requesterPage.getByRole("button", { name: "Withdraw request" }).click();
    await requesterPage.getByRole("heading", { name: "Withdraw this request?" }).waitFor();
    await requesterPage.getByRole("button", { name: "Keep request" }).click();
    await requesterPage.getByRole("button", { name: "Withdraw request" }).click();
    await requesterPage.getByLabel("Reason").fill("Found a spare box");
    await requesterPage.getByRole("button", { name: "Withdraw", exact: true }).click();

    const done = requesterPage.getByRole("status").filter({ hasText: "Withdrawn: the request is Cancelled" });
    await done.waitFor();
    await expect(done.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
    // The page refreshes itself until the audit trail shows the request cancelled, with the reason.
    await requesterPage.locator('[data-status="CANCELLED"]').first().waitFor({ timeout: 20_000 });
    const decision = await requesterPage.getByRole("region", { name: "Decision" }).textContent();
    expect(decision).toContain(REQUESTER.email);
    expect(decision).toContain("Found a spare box");
    expect(await requesterPage.getByRole("button", { name: "Withdraw request" }).count()).toBe(0);
  });
});
