import { describe, expect, it } from "vitest";
import { chromiumAvailable, defaultLocalUser, openSignedIn, useStackAndBrowser } from "./support.ts";

const REQUESTER = defaultLocalUser("requester@example.com");
const APPROVER = defaultLocalUser("approver@example.com");
const APPROVER2 = defaultLocalUser("approver2@example.com");

/** A `datetime-local` value `days` from now, in the browser's (and this process's) time zone. */
const localInput = (days: number) => {
  const at = new Date(Date.now() + days * 86_400_000);
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
};

describe.skipIf(!chromiumAvailable)("the Away page in Chromium", () => {
  const under = useStackAndBrowser({ LOCAL_USERS: JSON.stringify([REQUESTER, APPROVER, APPROVER2]) });

  it("lets an approver set a time away with a delegate, shows it, refuses themselves at the field, and clears it", async () => {
    const { stack, session } = under;
    const page = await openSignedIn(session, stack.portalUrl, APPROVER);
    await page.getByRole("link", { name: "Away" }).click();
    await page.getByText("You are not away: requests ask you.").waitFor();

    await page.getByLabel("Away from").fill(localInput(1));
    await page.getByLabel("Back on").fill(localInput(8));
    await page.getByLabel("Delegate").fill(APPROVER.email);
    // The refusal of oneself as delegate: the browser logs the 400 the page then shows at the field.
    session.expectProblem(/400 \(Bad Request\).*\/api\/delegations\/mine/);
    await page.getByRole("button", { name: "Set" }).click();
    await page.getByText("must be someone other than you").waitFor();

    await page.getByLabel("Delegate").fill(APPROVER2.email);
    await page.getByRole("button", { name: "Set" }).click();
    await page.getByText(`${APPROVER2.email} decides for you.`).waitFor();

    await page.getByRole("button", { name: "Clear all" }).click();
    await page.getByText("You are not away: requests ask you.").waitFor();
  });

  it("is not in the menu of a requester", async () => {
    const { stack, session } = under;
    const page = await openSignedIn(session, stack.portalUrl, REQUESTER);
    await page.getByRole("link", { name: "My requests" }).waitFor();

    await expect(page.getByRole("link", { name: "Away" }).isVisible()).resolves.toBe(false);
  });
});
