import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { dollarsInWords } from "../../api/request-words.ts";
import {
  ANA,
  localUsersEnv,
  OPERATOR_EMAIL,
  signedInCaller,
  submit,
  validRequest,
  waitForStatus,
} from "../support/flow.ts";
import type { StackUnderTest } from "../support/stack.ts";
import { chromiumAvailable, defaultLocalUser, openSignedIn, useStackAndBrowser } from "./support.ts";

const OPERATOR = defaultLocalUser(OPERATOR_EMAIL);
const REQUESTER = defaultLocalUser("requester@example.com");

/** Submits a request as Ana and waits until it is pending approval; its id. */
const pendingRequest = async (stack: StackUnderTest, justification: string) => {
  const { status, body } = await submit(stack, validRequest({ justification }));
  expect(status).toBe(202);
  const requestId = String(body.requestId);
  await waitForStatus(stack, requestId, "PENDING_APPROVAL");
  return requestId;
};

/** The rows of the table under the figure headed `title`, each row's cells as text. */
const rowsOf = async (page: Page, title: string) => {
  const figure = page.getByRole("region", { name: title, exact: true });
  await figure.locator("table").waitFor();
  return figure
    .locator("tbody tr")
    .evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => cell.textContent ?? "")));
};

describe.skipIf(!chromiumAvailable)("the operators' dashboard in Chromium", () => {
  const under = useStackAndBrowser(localUsersEnv());

  it("charts the requests of the last 30 days, with their numbers in a table beside each chart", async () => {
    const { stack, session } = under;
    const approver = await signedInCaller(stack, "approver@example.com");
    const [approved, rejected] = await Promise.all([
      pendingRequest(stack, "Approved for the dashboard"),
      pendingRequest(stack, "Rejected for the dashboard"),
      pendingRequest(stack, "Still waiting on the dashboard"),
    ]);
    expect((await approver.post(`/api/approvals/${approved}`, { action: "approve" })).status).toBe(200);
    expect(
      (await approver.post(`/api/approvals/${rejected}`, { action: "reject", reason: "No" })).status,
    ).toBe(200);
    const provisioned = await waitForStatus(stack, approved, "PROVISIONED");
    await waitForStatus(stack, rejected, "REJECTED");

    const page = await openSignedIn(session, stack.portalUrl, OPERATOR);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
    await page.waitForURL(`${stack.portalUrl}/dashboard`);
    await page.getByRole("heading", { name: "Operators' dashboard" }).waitFor();

    await expect(rowsOf(page, "Requests by status")).resolves.toEqual([
      ["Submitted", "3"],
      ["Approved", "1"],
      ["Rejected", "1"],
      ["Provisioned", "1"],
    ]);
    await expect(rowsOf(page, "Time to decision")).resolves.toEqual([
      ["p50", "up to 1 min"],
      ["p90", "up to 1 min"],
    ]);
    // The default policy asks both approvers, and the first answer decides.
    await expect(rowsOf(page, "Pending approvals by approver")).resolves.toEqual([
      ["approver2@example.com", "1"],
      ["approver@example.com", "1"],
    ]);
    await expect(rowsOf(page, "Provisioning")).resolves.toEqual([
      ["Succeeded", "1"],
      ["Failed", "0"],
      ["Success rate", "100%"],
    ]);
    const cost = dollarsInWords(Number(provisioned.estimatedMonthlyCostUsd));
    await expect(rowsOf(page, "Estimated monthly cost by requester")).resolves.toEqual([[ANA.email, cost]]);
    await expect(rowsOf(page, "Estimated monthly cost by resource type")).resolves.toEqual([["ec2", cost]]);

    // Every figure with something to show draws it, on a canvas that points to its table.
    const canvases = page.locator("main canvas[role=img]");
    await expect(canvases.count()).resolves.toBe(6);
    for (const canvas of await canvases.all()) {
      await expect(canvas.evaluate((element: HTMLCanvasElement) => element.width > 0)).resolves.toBe(true);
    }

    // A range without these days shows none of it.
    await page.getByLabel("From (UTC)").fill("2020-01-01");
    await page.getByLabel("To (UTC)").fill("2020-01-31");
    await page.getByRole("button", { name: "Show" }).click();
    await page.getByText("No request reached any status in these days.").waitFor();
  });

  it("is in the navigation of operators alone, and says whom it is for to anyone else", async () => {
    const { stack, session } = under;
    const page = await openSignedIn(session, `${stack.portalUrl}/dashboard`, REQUESTER);
    await page.getByText("The dashboard is for operators.").waitFor();
    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "My requests" }).waitFor();
    await expect(nav.getByRole("link", { name: "Dashboard" }).count()).resolves.toBe(0);
  });
});
