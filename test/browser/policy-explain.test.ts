import { resolve } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { decisionLinks, waitForEmails } from "../support/flow.ts";
import {
  chromiumAvailable,
  defaultLocalUser,
  openSignedIn,
  submitFromForm,
  useStackAndBrowser,
} from "./support.ts";

const REQUESTER = defaultLocalUser("requester@example.com");
const APPROVER = defaultLocalUser("approver@example.com");
const APPROVER2 = defaultLocalUser("approver2@example.com");
/** The policy's finance stage asks the operator by email: outside the approvers group, so by mail. */
const FINANCE = defaultLocalUser("operator@example.com");
const LOCAL_USERS = JSON.stringify([REQUESTER, APPROVER, APPROVER2, FINANCE]);
/** Two of the approvers group ("team leads"), then the operator ("finance"). */
const TWO_STAGES = resolve(import.meta.dirname, "..", "fixtures", "policies", "browser-two-stages.json");

const approveOnApprovalsPage = async (page: Page, portalUrl: string, requestId: string) => {
  await page.goto(`${portalUrl}/approvals`);
  const card = page.locator(`section[data-request-id="${requestId}"]`);
  await card.getByRole("button", { name: "Approve" }).click();
  await card.getByRole("status").filter({ hasText: "Approved" }).waitFor();
};

describe.skipIf(!chromiumAvailable)("a request's page explains its approval policy, in Chromium", () => {
  const under = useStackAndBrowser({ LOCAL_USERS, APPROVAL_POLICIES: TWO_STAGES });

  it("says whom it waits for, and the count moves with each approval, stage by stage", async () => {
    const { stack, session } = under;
    const requesterPage = await openSignedIn(session, stack.portalUrl, REQUESTER);
    const requestId = await submitFromForm(requesterPage, "Explained by its policy");

    // The page refreshes itself while the request is pending.
    const approval = requesterPage.getByRole("region", { name: "Approval" });
    await approval
      .getByText("Waiting for 2 more approvals from team leads (stage 1 of 2)")
      .waitFor({ timeout: 20_000 });
    await expect(approval.textContent()).resolves.toContain("two-stages");
    const firstStage = approval
      .getByRole("listitem")
      .filter({ has: requesterPage.getByRole("heading", { name: /Stage 1 of 2: team leads/ }) });
    await expect(firstStage.textContent()).resolves.toContain(APPROVER2.email);

    const approverPage = await openSignedIn(session, `${stack.portalUrl}/approvals`, APPROVER);
    await approveOnApprovalsPage(approverPage, stack.portalUrl, requestId);
    await approval
      .getByText("Waiting for 1 more approval from team leads (stage 1 of 2)")
      .waitFor({ timeout: 20_000 });
    await expect(firstStage.textContent()).resolves.toMatch(/Approved by.*approver@example\.com/);

    const secondApproverPage = await openSignedIn(session, `${stack.portalUrl}/approvals`, APPROVER2);
    await approveOnApprovalsPage(secondApproverPage, stack.portalUrl, requestId);
    await approval
      .getByText("Waiting for 1 more approval from finance (stage 2 of 2)")
      .waitFor({ timeout: 20_000 });

    const [financeEmail] = await waitForEmails(stack, FINANCE.email, requestId);
    const financePage = await session.newPage();
    await financePage.goto(decisionLinks(financeEmail as NonNullable<typeof financeEmail>).approve);
    await financePage.getByRole("button", { name: "Approve request" }).click();
    await financePage.getByText("Approved", { exact: true }).waitFor();
    await requesterPage.getByText("Provisioned", { exact: true }).waitFor({ timeout: 20_000 });
    await expect(approval.getByText(/^Waiting for/).count()).resolves.toBe(0);
    const timeline = await requesterPage.getByRole("region", { name: "Timeline" }).textContent();
    expect(timeline).toContain("Policy two-stages applies: 2 stages (team leads, then finance)");
    expect(timeline).toContain(`${FINANCE.email} approved in stage 2 of 2 (finance): 1 of 1`);
  });
});
