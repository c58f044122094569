import type { Browser, Request } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { subjectOf } from "../../infra/local/identity/users.ts";
import { getRequest } from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";
import {
  BrowserSession,
  chromiumAvailable,
  defaultLocalUser,
  fillValidForm,
  launchChromium,
  listedIds,
  openSignedIn,
  requestIdFromUrl,
  signInAs,
} from "./support.ts";

/** Two of local mode's default users. */
const RILEY = defaultLocalUser("requester@example.com");
const OPERATOR = defaultLocalUser("operator@example.com");

const isSignInNavigation = (request: Request) =>
  request.isNavigationRequest() && new URL(request.url()).pathname === "/auth";

describe.skipIf(!chromiumAvailable)("signing in to the portal in Chromium", () => {
  let stack: StackUnderTest;
  let browser: Browser;
  let session: BrowserSession;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchChromium()]);
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
  it("shows who is signed in, and files a new request as them without asking", async () => {
    const page = await openSignedIn(session, stack.portalUrl, RILEY);

    const account = page.getByRole("region", { name: "Signed in as" });
    await expect(account.textContent()).resolves.toContain(`${RILEY.name} ${RILEY.email}`);
    await expect(account.getByRole("button", { name: "Sign out" }).isVisible()).resolves.toBe(true);
    await expect(page.getByText(/^Requesting as/).textContent()).resolves.toBe(
      `Requesting as ${RILEY.name} ${RILEY.email}`,
    );
    await expect(page.getByLabel("Email", { exact: true }).count()).resolves.toBe(0);
    await expect(page.getByLabel("Name (optional)", { exact: true }).count()).resolves.toBe(0);

    await fillValidForm(page);
    await page.getByRole("button", { name: "Submit request" }).click();
    await page.waitForURL(/\/requests\/req_/);
    const submitted = await stack.eventually(
      () => getRequest(stack, requestIdFromUrl(page)),
      (view) => view !== undefined,
    );
    expect(submitted?.requester).toEqual({
      email: RILEY.email,
      name: RILEY.name,
      subject: subjectOf(RILEY.email),
    });
  });

  it("offers the CSV download to operators only", async () => {
    const page = await openSignedIn(session, `${stack.portalUrl}/all`, RILEY);
    await page.getByRole("button", { name: "Apply filters" }).waitFor();
    await listedIds(page);

    await expect(page.getByRole("button", { name: "Download CSV" }).count()).resolves.toBe(0);
  });

  it("brings a visitor back to the page they asked for once signed in", async () => {
    const asked = `${stack.portalUrl}/my?status=REJECTED`;
    const page = await session.newPage();
    await page.goto(asked);
    await page.getByRole("button", { name: `Sign in as ${RILEY.name}` }).waitFor();
    expect(new URL(page.url()).origin).not.toBe(new URL(stack.portalUrl).origin);

    await signInAs(page, RILEY);

    expect(page.url()).toBe(asked);
    await expect(page.locator("main h1").textContent()).resolves.toBe("My requests");
    await expect(page.getByLabel("Status").inputValue()).resolves.toBe("REJECTED");
  });

  it("signs out at the provider, which then asks who signs in", async () => {
    const page = await openSignedIn(session, stack.portalUrl, RILEY);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign out?" }).waitFor();
    await page.getByRole("button", { name: "Sign out", exact: true }).click();

    // Back at the portal, signed out of it and of the provider: the provider lists the users again.
    await page.getByRole("button", { name: `Sign in as ${RILEY.name}` }).waitFor();
    expect(new URL(page.url()).origin).not.toBe(new URL(stack.portalUrl).origin);
    await signInAs(page, OPERATOR);
    await expect(page.getByText(/^Requesting as/).textContent()).resolves.toBe(
      `Requesting as ${OPERATOR.name} ${OPERATOR.email}`,
    );
  });

  it("renews the access token with the refresh token before it expires, and asks to sign in again when renewal fails", async () => {
    const page = await session.newPage();
    // The page's clock, so an hour can pass at once; the provider keeps real time.
    await page.clock.install();
    const isListCall = (request: Request) => new URL(request.url()).pathname === "/api/requests";
    const firstCall = page.waitForRequest(isListCall);
    await page.goto(`${stack.portalUrl}/my`);
    await signInAs(page, RILEY);
    const firstToken = (await firstCall).headers().authorization;
    expect(firstToken).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);

    const isRefresh = (request: Request) =>
      request.method() === "POST" && /grant_type=refresh_token/.test(request.postData() ?? "");
    const renewal = page.waitForRequest(isRefresh);
    // Access tokens live an hour: a minute before the end, the portal renews.
    await page.clock.fastForward("59:30");
    await expect((await renewal).response().then((answer) => answer?.status())).resolves.toBe(200);
    const callAfterRenewal = page.waitForRequest(isListCall);
    await page.getByRole("button", { name: "Show my requests" }).click();
    const renewedToken = (await callAfterRenewal).headers().authorization;
    expect(renewedToken).toMatch(/^Bearer /);
    expect(renewedToken).not.toBe(firstToken);

    // The provider refuses the next renewal, as it does once the refresh token is revoked or expired.
    session.expectProblem(/status of 400/);
    await page.route("**/token", (route) =>
      isRefresh(route.request())
        ? route.fulfill({
            status: 400,
            headers: { "access-control-allow-origin": "*" },
            contentType: "application/json",
            body: JSON.stringify({ error: "invalid_grant", error_description: "grant request is invalid" }),
          })
        : route.continue(),
    );
    const pageBeforeSigningInAgain = page.url();
    const signInAgain = page.waitForRequest(isSignInNavigation);
    await page.clock.fastForward("59:30");
    await signInAgain;
    // The provider still knows the browser, so it comes straight back to the page, signed in again.
    await page.waitForURL(pageBeforeSigningInAgain);
    await page.getByRole("region", { name: "Signed in as" }).getByText(RILEY.email).waitFor();
  });

  it("signs in again when the API refuses the access token, and carries on", async () => {
    const page = await openSignedIn(session, `${stack.portalUrl}/my`, RILEY);
    await listedIds(page);
    // A signature that no longer holds, as the API sees every token once the provider's keys change;
    // the portal reads the stored token again when the page loads.
    await page.evaluate(() => {
      for (const key of Object.keys(sessionStorage).filter((name) => name.startsWith("oidc.user:"))) {
        const stored = JSON.parse(sessionStorage.getItem(key) ?? "{}") as { access_token: string };
        stored.access_token = `${stored.access_token.slice(0, -8)}AAAAAAAA`;
        sessionStorage.setItem(key, JSON.stringify(stored));
      }
    });
    session.expectProblem(/status of 401/);
    const refused = page.waitForResponse((answer) => answer.url().includes("/api/requests"));
    const signInAgain = page.waitForRequest(isSignInNavigation);
    await page.reload();

    await expect(refused.then((answer) => answer.status())).resolves.toBe(401);
    await signInAgain;
    const listedAgain = page.waitForResponse((answer) => answer.url().includes("/api/requests"));
    await expect(listedAgain.then((answer) => answer.status())).resolves.toBe(200);
    expect(new URL(page.url()).pathname).toBe("/my");
    await expect(page.getByRole("alert").count()).resolves.toBe(0);
  });

  it("says so when signing in is cancelled, and offers to sign in again", async () => {
    const page = await session.newPage();
    await page.goto(`${stack.portalUrl}/my`);
    await page.getByRole("button", { name: "Cancel" }).click();

    await page.getByRole("heading", { name: "Signing in did not finish" }).waitFor();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("cancelled");
    await page.getByRole("link", { name: "Sign in" }).click();
    await signInAs(page, RILEY);
    await expect(page.locator("main h1").textContent()).resolves.toBe("Request an EC2 instance");
  });
});
