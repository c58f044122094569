import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from "playwright-core";
import { build } from "vite";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { DEFAULT_LOCAL_USERS } from "../../infra/local/identity/users.ts";
import type { LocalUser } from "../support/flow.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

/** A user of the stack's LOCAL_USERS, whom a test signs in as on the provider's page. */
export type LocalUserUnderTest = LocalUser;

export class UnknownLocalUserError extends Error {
  override readonly name = "UnknownLocalUserError";
}

/** One of local mode's default users (`DEFAULT_LOCAL_USERS`), by email, as the sign-in page lists it. */
export const defaultLocalUser = (email: string): LocalUserUnderTest => {
  const user = DEFAULT_LOCAL_USERS.find((candidate) => candidate.email === email);
  if (!user) throw new UnknownLocalUserError(`${email} is none of local mode's default users`);
  return user;
};

/** Debian's Chromium: `.ci/run` installs the `chromium` package; playwright-core brings no browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

const REPO_ROOT = resolve(import.meta.dirname, "..", "..");

export class ChromiumMissingError extends Error {
  override readonly name = "ChromiumMissingError";
}

/**
 * Whether the browser tier can run here. Outside CI a machine without Chromium skips the tier and says
 * why; in CI the tier must run, so a missing Chromium fails the file instead of passing it silently.
 */
export const chromiumAvailable = ((): boolean => {
  if (existsSync(CHROMIUM_PATH)) return true;
  const reason = `${CHROMIUM_PATH} is not installed (on Debian/Ubuntu: apt-get install chromium)`;
  if (process.env.CI) throw new ChromiumMissingError(`The browser tests must run in CI, but ${reason}`);
  console.warn(`Browser tests skipped: ${reason}.`);
  return false;
})();

/**
 * Builds portal/dist, which the local runtime serves, so the tests drive the current sources: once per
 * run, in the tier's global setup (build-portal.ts).
 */
export const buildPortal = async () => {
  await build({ configFile: resolve(REPO_ROOT, "portal", "vite.config.ts"), logLevel: "warn" });
};

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });

/**
 * The pages of one test, each in its own context (fresh storage), with every console error and
 * uncaught page error they produce recorded, so a test can demand that there were none.
 */
export class BrowserSession {
  private readonly contexts: BrowserContext[] = [];
  private readonly problems: string[] = [];
  private readonly expected: RegExp[] = [];

  constructor(private readonly browser: Browser) {}

  async newPage(options: BrowserContextOptions = {}): Promise<Page> {
    const context = await this.browser.newContext({ acceptDownloads: true, ...options });
    this.contexts.push(context);
    context.on("console", (message) => {
      if (message.type() === "error")
        this.problems.push(
          `console error on ${message.page()?.url()}: ${message.text()} (${message.location().url})`,
        );
    });
    context.on("weberror", (error) => this.problems.push(`page error: ${error.error().message}`));
    return context.newPage();
  }

  /** A problem the test provokes on purpose (the browser reports a refused call as a console error). */
  expectProblem(pattern: RegExp): void {
    this.expected.push(pattern);
  }

  /** Closes every page and answers what went wrong in them, but for the problems the test expected. */
  async close(): Promise<string[]> {
    await Promise.all(this.contexts.splice(0).map((context) => context.close()));
    const expected = this.expected.splice(0);
    return this.problems.splice(0).filter((problem) => !expected.some((pattern) => pattern.test(problem)));
  }
}

/** Whether the document scrolls sideways: on a phone nothing should. */
export const scrollsSideways = (page: Page) =>
  page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement;
    return root.scrollWidth > root.clientWidth;
  });

/**
 * The form controls on the page that have no accessible name, as the browser's accessibility tree
 * computes it (labels, aria-label, aria-labelledby).
 */
export const unlabelledControls = async (page: Page): Promise<string[]> => {
  const unlabelled: string[] = [];
  for (const control of await page.locator("input:not([type=hidden]), select, textarea").all()) {
    const snapshot = await control.ariaSnapshot();
    if (!/^- \w+ "[^"]+"/.test(snapshot))
      unlabelled.push(await control.evaluate((element) => element.outerHTML));
  }
  return unlabelled;
};

/**
 * Signs in on the local provider's sign-in page (which labels each user's button with their name), where the portal has just sent `page`, and waits until
 * the portal shows the user in its header.
 */
export const signInAs = async (page: Page, user: LocalUserUnderTest) => {
  await page.getByRole("button", { name: `Sign in as ${user.name}` }).click();
  await page.getByRole("region", { name: "Signed in as" }).getByText(user.email).waitFor();
};

/** Opens `url` of the portal in a fresh context of `session` and signs in there as `user`. */
export const openSignedIn = async (
  session: BrowserSession,
  url: string,
  user: LocalUserUnderTest,
  options?: BrowserContextOptions,
): Promise<Page> => {
  const page = await session.newPage(options);
  await page.goto(url);
  await signInAs(page, user);
  return page;
};

/** Fills the new-request form with a valid request (the requester is whoever is signed in). */
export const fillValidForm = async (page: Page) => {
  await page.getByLabel("Instance type").selectOption("t3.small");
  await page.getByLabel("OS", { exact: true }).selectOption("ubuntu-24.04");
  await page.getByLabel("Volume size (GiB)").fill("30");
  await page.getByLabel("Private IP (optional)").fill("10.0.1.25");
  await page.getByLabel("Subnet (optional)").fill("subnet-0abc1234");
  await page.getByLabel("Justification").fill("Nightly build agent");
};

/** The id of the request whose page is open. */
export const requestIdFromUrl = (page: Page) =>
  decodeURIComponent(new URL(page.url()).pathname.replace(/^\/requests\//, ""));

/** The request ids listed in the results table, top to bottom, once the list has loaded. */
export const listedIds = async (page: Page) => {
  await page.getByText("Loading…").waitFor({ state: "detached" });
  return page.locator("main tbody tr td:first-child a").allTextContents();
};

/**
 * A stack started with `env` and a browser, for the tests of one `describe`: each test gets a fresh
 * session, whose pages must log no console or page error.
 */
export const useStackAndBrowser = (env: Record<string, string>) => {
  const under = {} as { stack: StackUnderTest; browser: Browser; session: BrowserSession };
  beforeAll(async () => {
    [under.stack, under.browser] = await Promise.all([startStack({ env }), launchChromium()]);
  });
  afterAll(async () => {
    await under.browser?.close();
    await under.stack?.destroy();
  });
  beforeEach(() => {
    under.session = new BrowserSession(under.browser);
  });
  afterEach(async () => {
    expect(await under.session.close(), "console and page errors").toEqual([]);
  });
  return under;
};

/** Chooses a small instance: the form's resource unless a test fills in another. */
const smallInstance = async (page: Page) => {
  await page.getByLabel("Instance type").selectOption("t3.micro");
};

/**
 * Submits the new-request form with the resource `fill` chooses (a small instance unless told) and
 * `justification`; the request's id once it is pending.
 */
export const submitFromForm = async (
  page: Page,
  justification: string,
  fill: (page: Page) => Promise<void> = smallInstance,
) => {
  await fill(page);
  await page.getByLabel("Justification").fill(justification);
  await page.getByRole("button", { name: "Submit request" }).click();
  await page.waitForURL(/\/requests\/req_/);
  await page.getByText("Pending approval", { exact: true }).waitFor();
  return requestIdFromUrl(page);
};
