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

/** Builds portal/dist, which the local runtime serves, so the tests drive the current sources. */
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

  /** Closes every page and answers what went wrong in them. */
  async close(): Promise<string[]> {
    await Promise.all(this.contexts.splice(0).map((context) => context.close()));
    return this.problems.splice(0);
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
