import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { decide, decisionLinks, getRequest, waitForEmails } from "../support/flow.ts";
import {
  chromiumAvailable,
  defaultLocalUser,
  openSignedIn,
  submitFromForm,
  useStackAndBrowser,
} from "./support.ts";

const REQUESTER = defaultLocalUser("requester@example.com");
const APPROVER = defaultLocalUser("approver@example.com");
const OPERATOR = defaultLocalUser("operator@example.com");
const LOCAL_USERS = JSON.stringify([REQUESTER, APPROVER, OPERATOR]);

/** Chooses the lease on the form, after showing that a custom one is checked as it is typed. */
const threeDayLease = async (page: Page) => {
  await page.getByLabel("Instance type").selectOption("t3.micro");
  await page.getByLabel("Lease", { exact: true }).selectOption({ label: "Custom…" });
  await page.getByLabel("Custom lease").fill("14 days");
  await page.getByLabel("Custom lease").blur();
  await page.getByText("must be an ISO 8601 duration such as PT30M, PT24H, P3D or P2W").waitFor();
  await page.getByLabel("Lease", { exact: true }).selectOption({ label: "3 days" });
  expect(await page.getByLabel("Custom lease").count(), "the custom field goes with its choice").toBe(0);
};

describe.skipIf(!chromiumAvailable)("a lease on the portal, in Chromium", () => {
  // Releases are confirmed within seconds, as a test can wait for.
  const under = useStackAndBrowser({ LOCAL_USERS, RELEASE_CHECK_DELAYS: "PT1S,PT2S,PT5S" });

  it("asks for a lease on the form, shows its end once provisioned, asks for more time, and releases it after a confirmation", async () => {
    const { stack, session } = under;
    const page = await openSignedIn(session, stack.portalUrl, REQUESTER);
    const requestId = await submitFromForm(page, "Load tests for three days", threeDayLease);
    const [approval] = await waitForEmails(stack, APPROVER.email, requestId);
    if (!approval) throw new Error("no approval email");
    expect((await decide(decisionLinks(approval).approve)).status).toBe(200);

    // Once provisioned, the page shows when the lease ends, what happens then and the cost so far.
    await page.getByText("Provisioned", { exact: true }).waitFor({ timeout: 20_000 });
    const lease = page.getByRole("region", { name: "Lease", exact: true });
    await lease
      .getByText(/^ends .* \(in 2 days and 23 hours\) · then terminated$/)
      .waitFor({ timeout: 20_000 });
    await lease.getByText(/^Running for \d+ min · /).waitFor();
    const { instanceId } = (await getRequest(stack, requestId, REQUESTER.email)) as { instanceId: string };
    expect(instanceId).toMatch(/^i-/);

    // Extend…: by a day, with why; the extension is listed, waiting for the approvers.
    await page.getByRole("button", { name: "Extend…" }).click();
    const extend = page.getByRole("dialog", { name: "Extend the lease" });
    await extend.getByRole("button", { name: "Ask for more time" }).click();
    await extend.getByText("must not be empty").waitFor();
    await extend.getByLabel("Extend by").selectOption({ label: "+1 day" });
    await extend.getByLabel("Justification").fill("The load tests need one more day");
    await extend.getByRole("button", { name: "Ask for more time" }).click();
    await page.getByRole("status").filter({ hasText: "Asked: extension 1, until" }).waitFor();
    await expect(extend.count()).resolves.toBe(0);
    await lease
      .locator('[data-extension="1"]')
      .getByText(/waiting for approval/)
      .waitFor({ timeout: 20_000 });
    expect(await page.getByRole("button", { name: "Extend…" }).count(), "one extension waits at a time").toBe(
      0,
    );

    // The approver's Approvals page shows the extension as an extension, not as the request again.
    const approverPage = await openSignedIn(session, `${stack.portalUrl}/approvals`, APPROVER);
    const card = approverPage.locator(`section[data-request-id="${requestId}"][data-extension="1"]`);
    await card.getByRole("heading", { name: `Extension of the lease of request ${requestId}` }).waitFor();
    await expect(card.textContent()).resolves.toMatch(/Extension 1 of the lease from .* to .* \(\+1 day\)/);
    await expect(card.textContent()).resolves.toContain("The load tests need one more day");
    await card.getByRole("button", { name: "Approve" }).click();
    await card.getByRole("status").filter({ hasText: "Extension approved." }).waitFor();
    await lease
      .locator('[data-extension="1"]')
      .getByText(/approved by/)
      .waitFor({ timeout: 20_000 });

    // Release now…, as the reminder email's link opens it: it says what it does, and can be backed out of.
    await page.goto(`${stack.portalUrl}/requests/${requestId}?action=release`);
    const release = page.getByRole("dialog", { name: "Release the resource now?" });
    await release.getByText(`This terminates ${instanceId} now. This cannot be undone.`).waitFor();
    expect(new URL(page.url()).search, "the link opens the dialog once").toBe("");
    await release.getByRole("button", { name: "Keep it running" }).click();
    await expect(release.count()).resolves.toBe(0);
    await page.getByRole("button", { name: "Release now…" }).click();
    await release.getByLabel("Reason").fill("Tests finished early");
    await release.getByRole("button", { name: "Release now", exact: true }).click();
    await page
      .getByRole("status")
      .filter({ hasText: "Releasing: the resource is being terminated" })
      .waitFor();

    // The page follows the release until its launcher has confirmed it.
    await page.locator('[data-status="RELEASED"]').first().waitFor({ timeout: 30_000 });
    const released = await lease.textContent();
    expect(released).toContain("released by its requester (requester@example.com)");
    expect(released).toContain("Tests finished early");
    await expect(lease.locator('dt:text-is("Outcome") + dd').textContent()).resolves.toMatch(
      /^terminated \w/,
    );
    expect(released).toMatch(/Ran for \d+ min · /);
    // Released early: the lease says when and how, not the end it had.
    await expect(lease.locator('dt:text-is("Lease") + dd').textContent()).resolves.toMatch(
      /^released .* · terminated$/,
    );
    expect(await page.getByRole("button", { name: "Release now…" }).count()).toBe(0);
  });

  it("submits with one click a custom lease fixed after the API refused it", async () => {
    const { stack, session } = under;
    session.expectProblem(/status of 400 .*\/api\/requests\)$/);
    const page = await openSignedIn(session, stack.portalUrl, REQUESTER);
    await page.getByLabel("Lease", { exact: true }).selectOption({ label: "Custom…" });
    await page.getByLabel("Custom lease").fill("P200D");
    await page.getByLabel("Justification").fill("Longer than the deployment allows");
    await page.getByRole("button", { name: "Submit request" }).click();
    await page.getByText("must be at most P90D").waitFor();
    // Leaving the fixed field clears its error as the press on Submit takes the focus: the button must
    // stay where it was pressed, so that one click submits.
    await page.getByLabel("Custom lease").fill("P3D");
    await page.getByRole("button", { name: "Submit request" }).click();
    await page.waitForURL(/\/requests\/req_/, { timeout: 5_000 });
  });

  it("lists the end of each lease, and lets an operator release anyone's resource", async () => {
    const { stack, session } = under;
    const page = await openSignedIn(session, stack.portalUrl, REQUESTER);
    const requestId = await submitFromForm(page, "A box for the operator to release");
    const [approval] = await waitForEmails(stack, APPROVER.email, requestId);
    if (!approval) throw new Error("no approval email");
    expect((await decide(decisionLinks(approval).approve)).status).toBe(200);
    await page.getByText("Provisioned", { exact: true }).waitFor({ timeout: 20_000 });
    await page
      .getByRole("region", { name: "Lease", exact: true })
      .getByText(/^ends /)
      .waitFor({ timeout: 20_000 });

    const operatorPage = await openSignedIn(session, `${stack.portalUrl}/all`, OPERATOR);
    const row = operatorPage.locator("tbody tr").filter({ hasText: requestId });
    await expect(row.locator('td[data-label="Lease ends"]').textContent()).resolves.toMatch(/\d{4}/);

    await operatorPage.goto(`${stack.portalUrl}/requests/${requestId}`);
    await operatorPage.getByRole("button", { name: "Release now…" }).click();
    await operatorPage.getByRole("button", { name: "Release now", exact: true }).click();
    await operatorPage.locator('[data-status="RELEASED"]').first().waitFor({ timeout: 30_000 });
    await expect(
      operatorPage.getByRole("region", { name: "Lease", exact: true }).textContent(),
    ).resolves.toContain("released by an operator (operator@example.com)");
    // The requester's own page follows it too.
    await page.locator('[data-status="RELEASED"]').first().waitFor({ timeout: 30_000 });
  });
});
