import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sampleRequest } from "../support/fixtures.ts";
import {
  ANA,
  decide,
  decisionLinks,
  getRequest,
  localUsersEnv,
  OPERATOR_EMAIL,
  submit,
  validRequest,
  waitForEmails,
  waitForStatus,
} from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";
import {
  BrowserSession,
  chromiumAvailable,
  fillValidForm,
  type LocalUserUnderTest,
  launchChromium,
  listedIds,
  openSignedIn,
  requestIdFromUrl,
  scrollsSideways,
  signInAs,
  unlabelledControls,
} from "./support.ts";

const APPROVER = "approver@example.com";
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

const requester = (email: string, name: string): LocalUserUnderTest => ({
  email,
  name,
  groups: ["requesters"],
});

const RILEY = requester("requester@example.com", "Riley Requester");
const KIM = requester("kim@example.com", "Kim");
const OPERATOR: LocalUserUnderTest = {
  email: OPERATOR_EMAIL,
  name: "Oakley Operator",
  groups: ["operators"],
};
/** Requesters no other test uses, so list filters see only their test's requests. */
const uniqueRequester = (who: string, name: string) =>
  requester(`${who}-${randomUUID().slice(0, 8)}@example.com`, name);
const LISTED = uniqueRequester("ops", "Lee Listed");
const MINE = uniqueRequester("mine", "Mo Mine");
const ON_A_PHONE = uniqueRequester("phone", "Pat Phone");

/** Submits requests straight through the API, as other systems do, and waits until each awaits a decision. */
const createRequests = async (stack: StackUnderTest, email: string, count: number, spacingMs = 0) => {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    if (index > 0 && spacingMs > 0) await sleep(spacingMs);
    const body = validRequest({ requester: { email }, justification: `Box ${index}` });
    const answer = await submit(stack, body, {}, email);
    expect(answer.status).toBe(202);
    ids.push(String(answer.body.requestId));
  }
  for (const id of ids) await waitForStatus(stack, id, "PENDING_APPROVAL");
  return ids;
};

const reject = async (stack: StackUnderTest, requestId: string) => {
  const [email] = await waitForEmails(stack, APPROVER, requestId);
  const rejected = await decide(decisionLinks(email as NonNullable<typeof email>).reject, {
    reason: "Not this quarter",
  });
  expect(rejected.status).toBe(200);
  await waitForStatus(stack, requestId, "REJECTED");
};

const parseCsvRequestIds = (csv: string) => {
  const [header = "", ...rows] = csv.trim().split(/\r?\n/);
  const columns = header.split(",");
  return rows.map((row) => {
    const cells = row.split(",");
    return {
      requestId: cells[columns.indexOf("requestId")],
      status: cells[columns.indexOf("status")],
      requesterEmail: cells[columns.indexOf("requesterEmail")],
    };
  });
};

describe.skipIf(!chromiumAvailable)("the portal and the decision pages in Chromium", () => {
  let stack: StackUnderTest;
  let browser: Browser;
  let session: BrowserSession;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startStack({ env: localUsersEnv(KIM, LISTED, MINE, ON_A_PHONE) }),
      launchChromium(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.destroy();
  });
  beforeEach(() => {
    session = new BrowserSession(browser);
  });
  afterEach(async () => {
    expect(await session.close(), "console and page errors").toEqual([]);
  });

  it("takes a request from the form to a provisioned instance, approved from the emailed link", async () => {
    const requesterPage = await openSignedIn(session, stack.portalUrl, ANA);
    await fillValidForm(requesterPage);
    await requesterPage.getByRole("button", { name: "Submit request" }).click();

    await requesterPage.waitForURL(/\/requests\/req_/);
    const requestId = requestIdFromUrl(requesterPage);
    await requesterPage.getByText("Pending approval", { exact: true }).waitFor();

    const [approvalEmail] = await waitForEmails(stack, APPROVER, requestId);
    const approverPage = await session.newPage();
    await approverPage.goto(decisionLinks(approvalEmail as NonNullable<typeof approvalEmail>).approve);
    await expect(approverPage.locator("main").textContent()).resolves.toContain(requestId);
    await approverPage.getByRole("button", { name: "Approve request" }).click();
    await approverPage.getByText("Approved", { exact: true }).waitFor();

    // The requester's page was left open: it refreshes itself until the request is final.
    await requesterPage.getByText("Provisioned", { exact: true }).waitFor({ timeout: 20_000 });
    const provisioned = await getRequest(stack, requestId);
    expect(provisioned?.instanceId).toMatch(/^i-[0-9a-f]+$/);
    const instance = requesterPage.getByRole("region", { name: "Instance" });
    await expect(instance.textContent()).resolves.toContain(provisioned?.instanceId);
    const decision = await requesterPage.getByRole("region", { name: "Decision" }).textContent();
    expect(decision).toContain(APPROVER);
    const submittedAs = await requesterPage
      .getByRole("region", { name: "The request as submitted" })
      .textContent();
    expect(submittedAs).toContain("t3.small");
    expect(submittedAs).toContain("30 GiB gp3");
    const times = await requesterPage.locator("ol.timeline time").allTextContents();
    expect(times.length).toBeGreaterThanOrEqual(6);
    for (const time of times) expect(time).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });

  it("shows each field's error inline, as the API words it, and submits nothing", async () => {
    const page = await openSignedIn(session, stack.portalUrl, ANA);
    const posted: string[] = [];
    page.on("request", (request) => {
      // The live estimate posts too, but submits nothing.
      if (request.method() === "POST" && new URL(request.url()).pathname === "/api/requests")
        posted.push(request.url());
    });
    const cases = [
      { label: "Volume size (GiB)", value: "4", field: "resource.volume.sizeGiB", volume: 4 },
      { label: "Volume size (GiB)", value: "20000", field: "resource.volume.sizeGiB", volume: 20000 },
      { label: "Volume size (GiB)", value: "20.5", field: "resource.volume.sizeGiB", volume: 20.5 },
      {
        label: "Private IP (optional)",
        value: "10.0.1.256",
        field: "resource.privateIp",
        privateIp: "10.0.1.256",
      },
      { label: "Subnet (optional)", value: "subnet_1", field: "resource.subnetId", subnetId: "subnet_1" },
      { label: "Justification", value: "", field: "justification", body: { justification: "" } },
      {
        label: "Justification",
        value: "x".repeat(2001),
        field: "justification",
        body: { justification: "x".repeat(2001) },
      },
    ];

    for (const bad of cases) {
      await fillValidForm(page);
      const input = page.getByLabel(bad.label, { exact: true });
      await input.fill(bad.value);
      await page.getByRole("button", { name: "Submit request" }).click();

      // The sample request's EC2 instance, as validRequest sends it.
      const { resource } = sampleRequest();
      const sameBodyToTheApi = validRequest({
        resource: {
          ...resource,
          ...(bad.volume === undefined ? {} : { volume: { ...resource.volume, sizeGiB: bad.volume } }),
          ...(bad.privateIp === undefined ? {} : { privateIp: bad.privateIp }),
          ...(bad.subnetId === undefined ? {} : { subnetId: bad.subnetId }),
        },
        ...bad.body,
      });
      const answer = await submit(stack, sameBodyToTheApi);
      expect(answer.status).toBe(400);
      const apiErrors = answer.body.fieldErrors as { field: string; message: string }[];
      const apiMessage = apiErrors.find((error) => error.field === bad.field)?.message;
      expect(apiMessage, `the API's message for ${bad.field}`).toBeTruthy();

      const errorId = (await input.getAttribute("aria-describedby"))
        ?.split(" ")
        .find((id) => id.endsWith("-error"));
      await expect(page.locator(`[id="${errorId}"]`).textContent()).resolves.toBe(apiMessage);
      await expect(input.getAttribute("aria-invalid"), bad.label).resolves.toBe("true");
      await expect(input.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
      const otherInvalid = await page.locator('[aria-invalid="true"]').count();
      expect(otherInvalid, `only ${bad.label} is marked invalid`).toBe(1);
    }
    expect(new URL(page.url()).pathname).toBe("/");
    expect(posted).toEqual([]);
  });

  it("lists all requests filtered by status and requester, pages through them and downloads the filtered CSV", async () => {
    const requester = LISTED.email;
    const ids = await createRequests(stack, requester, 5);
    const rejectedId = ids[2] as string;
    await reject(stack, rejectedId);
    const page = await openSignedIn(session, `${stack.portalUrl}/all?limit=2`, OPERATOR);

    await page.getByLabel("Requester").fill(requester);
    await page.getByRole("button", { name: "Apply filters" }).click();
    const firstPage = await listedIds(page);
    await page.getByRole("button", { name: "Next page" }).click();
    const secondPage = await listedIds(page);
    await page.getByRole("button", { name: "Next page" }).click();
    const thirdPage = await listedIds(page);
    await expect(page.getByRole("button", { name: "Next page" }).isDisabled()).resolves.toBe(true);
    await page.getByRole("button", { name: "Previous page" }).click();
    const secondPageAgain = await listedIds(page);

    expect([firstPage.length, secondPage.length, thirdPage.length]).toEqual([2, 2, 1]);
    expect([...firstPage, ...secondPage, ...thirdPage].sort()).toEqual([...ids].sort());
    expect(secondPageAgain).toEqual(secondPage);

    await page.getByLabel("Status").selectOption({ label: "Rejected" });
    await expect(listedIds(page)).resolves.toEqual([rejectedId]);
    await expect(page.getByRole("button", { name: "Previous page" }).isDisabled()).resolves.toBe(true);
    // The filtered list is a link: opened again, it shows the same.
    await page.reload();
    await expect(listedIds(page)).resolves.toEqual([rejectedId]);
    await expect(page.getByLabel("Requester").inputValue()).resolves.toBe(requester);

    await page.getByLabel("Status").selectOption({ label: "Pending approval" });
    await expect(listedIds(page)).resolves.toHaveLength(2);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download CSV" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const rows = parseCsvRequestIds(await readFile(await download.path(), "utf8"));
    expect(rows.map((row) => row.requestId).sort()).toEqual(ids.filter((id) => id !== rejectedId).sort());
    for (const row of rows)
      expect(row).toMatchObject({ status: "PENDING_APPROVAL", requesterEmail: requester });
  });

  it("shows My requests for the signed-in requester, newest first, filtered by status", async () => {
    const requester = MINE.email;
    const page = await openSignedIn(session, stack.portalUrl, MINE);
    await fillValidForm(page);
    await page.getByRole("button", { name: "Submit request" }).click();
    await page.waitForURL(/\/requests\/req_/);
    const fromTheForm = requestIdFromUrl(page);
    await waitForStatus(stack, fromTheForm, "PENDING_APPROVAL");
    // Submission times have whole-second resolution, so "newest first" needs requests seconds apart.
    await sleep(1100);
    const [older, newest] = (await createRequests(stack, requester, 2, 1100)) as [string, string];
    await reject(stack, older);

    await page.getByRole("link", { name: "My requests" }).click();
    await expect(page.getByLabel("Your email").inputValue()).resolves.toBe(requester);
    await expect(listedIds(page)).resolves.toEqual([newest, older, fromTheForm]);

    await page.getByLabel("Status").selectOption({ label: "Rejected" });
    await expect(listedIds(page)).resolves.toEqual([older]);
    await page.getByLabel("Status").selectOption({ label: "Pending approval" });
    await expect(listedIds(page)).resolves.toEqual([newest, fromTheForm]);
  });

  it("can be filled and submitted with the keyboard alone, and labels every control", async () => {
    const page = await openSignedIn(session, stack.portalUrl, KIM);
    const focusedLabel = () =>
      page.evaluate(() => {
        const focused = document.activeElement as HTMLInputElement | null;
        return focused?.labels?.[0]?.textContent ?? focused?.textContent ?? "";
      });

    await page.keyboard.press("Tab");
    await expect(focusedLabel()).resolves.toBe("Skip to content");
    await page.keyboard.press("Enter");
    const steps: [label: string, keys: () => Promise<void>][] = [
      ["Resource type", async () => {}],
      ["Region", async () => {}],
      ["Instance type", () => page.keyboard.press("ArrowDown")],
      ["OS", () => page.keyboard.press("ArrowDown")],
      ["Instance name (optional)", () => page.keyboard.type("kbd-box")],
      ["Volume size (GiB)", () => page.keyboard.press("ArrowUp")],
      ["Volume type", () => page.keyboard.press("Home")],
      ["Private IP (optional)", async () => {}],
      ["Subnet (optional)", async () => {}],
      ["Lease", async () => {}],
      ["Justification", () => page.keyboard.type("Typed without a mouse")],
    ];
    for (const [label, keys] of steps) {
      await page.keyboard.press("Tab");
      await expect(focusedLabel()).resolves.toBe(label);
      await keys();
    }
    await page.keyboard.press("Tab");
    await expect(focusedLabel()).resolves.toBe("Submit request");
    await page.keyboard.press("Enter");

    await page.waitForURL(/\/requests\/req_/);
    const submitted = await stack.eventually(
      () => getRequest(stack, requestIdFromUrl(page)),
      (view) => view !== undefined,
    );
    expect(submitted).toMatchObject({
      requester: { email: "kim@example.com", name: "Kim" },
      resource: { instanceType: "t3.small", os: "ubuntu-24.04", name: "kbd-box", volume: { sizeGiB: 21 } },
      justification: "Typed without a mouse",
    });

    await page.getByText("Pending approval", { exact: true }).waitFor();
    const [approvalEmail] = await waitForEmails(stack, APPROVER, requestIdFromUrl(page));
    const { approve, reject: rejectLink } = decisionLinks(approvalEmail as NonNullable<typeof approvalEmail>);
    for (const path of [
      stack.portalUrl,
      `${stack.portalUrl}/my`,
      `${stack.portalUrl}/all`,
      approve,
      rejectLink,
    ]) {
      await page.goto(path);
      await page.locator("main input, main select, main textarea").first().waitFor({ state: "attached" });
      await expect(unlabelledControls(page), path).resolves.toEqual([]);
    }
  });

  it("lets an approver decide on a phone without sideways scrolling", async () => {
    const [requestId] = (await createRequests(stack, ON_A_PHONE.email, 1)) as [string];
    const [approvalEmail] = await waitForEmails(stack, APPROVER, requestId);
    const links = decisionLinks(approvalEmail as NonNullable<typeof approvalEmail>);
    const phone = await session.newPage(PHONE);

    await phone.goto(links.approve);
    const approve = phone.getByRole("button", { name: "Approve request" });
    await expect(approve.isVisible()).resolves.toBe(true);
    await expect(scrollsSideways(phone)).resolves.toBe(false);

    await phone.goto(links.reject);
    await expect(scrollsSideways(phone)).resolves.toBe(false);
    const rejectButton = phone.getByRole("button", { name: "Reject request" });
    const box = await rejectButton.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= PHONE.viewport.width).toBe(true);
    await phone.getByLabel("Reason").fill("Use the shared build pool");
    await rejectButton.tap();
    await phone.getByText("Rejected", { exact: true }).waitFor();
    await expect(scrollsSideways(phone)).resolves.toBe(false);
    await waitForStatus(stack, requestId, "REJECTED");

    await phone.goto(stack.portalUrl);
    await signInAs(phone, ON_A_PHONE);
    for (const path of ["/", `/requests/${requestId}`, "/all", "/my"]) {
      await phone.goto(`${stack.portalUrl}${path}`);
      await phone.locator("main h1").waitFor();
      await expect(scrollsSideways(phone), path).resolves.toBe(false);
    }
  });

  it("links to the local mailbox so a newcomer can play the approver", async () => {
    const page = await openSignedIn(session, stack.portalUrl, RILEY);

    const mailbox = page.getByRole("link", { name: /mailbox/i });
    await mailbox.waitFor();
    const href = (await mailbox.getAttribute("href")) ?? "";
    expect(new URL(href).port).toBe(new URL(stack.mailboxUrl).port);
    await expect(page.request.get(href).then((response) => response.status())).resolves.toBe(200);
  });
});
