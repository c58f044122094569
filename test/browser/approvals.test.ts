import type { Page } from "playwright-core";
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
const APPROVER2 = defaultLocalUser("approver2@example.com");
const LOCAL_USERS = JSON.stringify([REQUESTER, APPROVER, APPROVER2]);

describe.skipIf(!chromiumAvailable)("the Approvals page in Chromium", () => {
  const under = useStackAndBrowser({ LOCAL_USERS });

  it("lets a signed-in approver approve what awaits them; the request is provisioned", async () => {
    const { stack, session } = under;
    const requesterPage = await openSignedIn(session, stack.portalUrl, REQUESTER);
    const requestId = await submitFromForm(requesterPage, "Approved on the Approvals page");

    const approverPage = await openSignedIn(session, `${stack.portalUrl}/approvals`, APPROVER);
    const card = approverPage.locator(`section[data-request-id="${requestId}"]`);
    await card.waitFor();
    await expect(card.textContent()).resolves.toContain("Approved on the Approvals page");
    await card.getByLabel("Reason").fill("Fine for a week");
    // By keyboard: the confirmation takes the focus from the button it replaces, then links onwards.
    await card.getByRole("button", { name: "Approve" }).focus();
    await approverPage.keyboard.press("Enter");
    const confirmation = card.getByRole("status").filter({ hasText: "Approved. The requester will be told" });
    await confirmation.waitFor();
    await expect(confirmation.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
    await approverPage.keyboard.press("Tab");
    await expect(approverPage.evaluate(() => document.activeElement?.textContent)).resolves.toBe(
      `request ${requestId}`,
    );
    await approverPage.keyboard.press("Enter");
    await approverPage.waitForURL(`${stack.portalUrl}/requests/${requestId}`);
    await approverPage.getByRole("region", { name: "Decision" }).getByText("Fine for a week").waitFor();

    // The requester's page refreshes itself until the request is final.
    await requesterPage.getByText("Provisioned", { exact: true }).waitFor({ timeout: 20_000 });
    const decision = await requesterPage.getByRole("region", { name: "Decision" }).textContent();
    expect(decision).toContain(APPROVER.email);
    expect(decision).toContain("Fine for a week");

    await approverPage.goto(`${stack.portalUrl}/approvals`);
    await approverPage.getByText("Nothing awaits your decision.").waitFor();
  });

  it("shows a rejection's missing reason as the API words it, then rejects with one", async () => {
    const { stack, session } = under;
    const requesterPage = await openSignedIn(session, stack.portalUrl, REQUESTER);
    const requestId = await submitFromForm(requesterPage, "Rejected on the Approvals page");
    const approverPage = await openSignedIn(session, `${stack.portalUrl}/approvals`, APPROVER2);
    session.expectProblem(/400 \(Bad Request\)/);
    const card = approverPage.locator(`section[data-request-id="${requestId}"]`);

    await card.getByRole("button", { name: "Reject" }).click();
    const reason = card.getByLabel("Reason");
    await expect.poll(() => reason.getAttribute("aria-invalid")).toBe("true");
    // As the request form shows its fields' errors: at the field, which describes it and has the focus.
    const errorId = (await reason.getAttribute("aria-describedby"))
      ?.split(" ")
      .find((id) => id.endsWith("-error"));
    await expect(card.locator(`[id="${errorId}"]`).textContent()).resolves.toBe(
      "Say why you reject the request; the requester will read it.",
    );
    await expect(reason.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
    await expect(card.textContent()).resolves.not.toContain("Request is invalid");

    await reason.fill("Use the shared runner");
    await card.getByRole("button", { name: "Reject" }).click();
    await card.getByText("Rejected. The requester will be told", { exact: false }).waitFor();
    await card.getByRole("link", { name: `request ${requestId}` }).click();
    await approverPage.waitForURL(`${stack.portalUrl}/requests/${requestId}`);

    await requesterPage
      .getByRole("region", { name: "Decision" })
      .getByText("Use the shared runner")
      .waitFor({ timeout: 20_000 });
  });

  it("offers the Approvals page in the navigation to approvers alone", async () => {
    const { stack, session } = under;
    const nav = (page: Page) => page.getByRole("navigation", { name: "Main" });

    const approverPage = await openSignedIn(session, stack.portalUrl, APPROVER);
    await nav(approverPage).getByRole("link", { name: "Approvals" }).click();
    await approverPage.waitForURL(`${stack.portalUrl}/approvals`);

    const requesterPage = await openSignedIn(session, stack.portalUrl, REQUESTER);
    await nav(requesterPage).getByRole("link", { name: "My requests" }).waitFor();
    await expect(nav(requesterPage).getByRole("link", { name: "Approvals" }).count()).resolves.toBe(0);
    // Its address still opens the page, which says whom it is for.
    await requesterPage.goto(`${stack.portalUrl}/approvals`);
    await requesterPage.getByText("Only approvers decide requests. You are not among them.").waitFor();
  });
});

describe.skipIf(!chromiumAvailable)("a mailed link where decisions require sign-in, in Chromium", () => {
  const under = useStackAndBrowser({ LOCAL_USERS, DECISIONS_REQUIRE_SIGN_IN: "true" });

  it("opens the portal, signs in as the link's approver and decides there", async () => {
    const { stack, session } = under;
    const requesterPage = await openSignedIn(session, stack.portalUrl, REQUESTER);
    const requestId = await submitFromForm(requesterPage, "Approved from a signed-in link");
    const [mail] = await waitForEmails(stack, APPROVER.email, requestId);
    const approveLink = /href="([^"]*\/decide#approve\.[^"]+)"/.exec(mail?.body.html ?? "")?.[1];
    expect(approveLink).toBeDefined();

    const approverPage = await openSignedIn(session, String(approveLink), APPROVER);
    await approverPage.getByText(`You are deciding as ${APPROVER.email}`).waitFor();
    await expect(approverPage.locator("main").textContent()).resolves.toContain(
      "Approved from a signed-in link",
    );
    await approverPage.getByRole("button", { name: "Approve" }).click();
    await approverPage.getByText("Approved. The requester will be told", { exact: false }).waitFor();
    expect(new URL(approverPage.url()).hash).toBe("");
    await approverPage.getByRole("link", { name: `request ${requestId}` }).click();
    await approverPage.waitForURL(`${stack.portalUrl}/requests/${requestId}`);

    await requesterPage.getByText("Provisioned", { exact: true }).waitFor({ timeout: 20_000 });
  });
});
