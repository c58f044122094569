import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { monthlyCostInWords } from "../../api/request-words.ts";
import { BUCKET_NAME_RULES } from "../../events/s3-resource.ts";
import { loadPriceSnapshot } from "../../infra/local/pricing/snapshot.ts";
import { signedInCaller } from "../support/flow.ts";
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

/** The database the test asks for, but for its class. */
const database = (instanceClass: string) => ({
  type: "rds",
  engine: "postgres",
  instanceClass,
  allocatedStorageGiB: 20,
  name: "orders",
});

describe.skipIf(!chromiumAvailable)("requests for databases and buckets in Chromium", () => {
  const under = useStackAndBrowser({ LOCAL_USERS });

  it("prices a database live as its class changes, then shows the estimate on the request's page", async () => {
    const { stack, session } = under;
    const api = await signedInCaller(stack, REQUESTER.email);
    /** The monthly total the API answers for the database in eu-west-1, as the portal words it. */
    const priced = async (instanceClass: string) => {
      const answer = await api.post("/api/estimates", {
        region: "eu-west-1",
        resource: database(instanceClass),
      });
      expect(answer.status).toBe(200);
      return monthlyCostInWords(answer.body.estimatedMonthlyCostUsd as number | null);
    };
    const [micro, large] = await Promise.all([priced("db.t4g.micro"), priced("db.m7g.large")]);
    expect(micro).not.toBe(large);
    const page = await openSignedIn(session, stack.portalUrl, REQUESTER);
    const estimate = page.getByRole("region", { name: "Estimated cost" });

    const requestId = await submitFromForm(page, "Orders service database", async (form: Page) => {
      await form.getByLabel("Resource type").selectOption("rds");
      expect(await form.getByLabel("Instance type").count(), "EC2's fields are gone").toBe(0);
      await form.getByLabel("Region").selectOption("eu-west-1");
      await form.getByLabel("DB instance name").fill("orders");
      await estimate.getByText(micro, { exact: true }).waitFor();
      await expect(estimate.textContent()).resolves.toContain(
        `eu-west-1 as of ${loadPriceSnapshot().pricesAsOf}`,
      );

      await form.getByLabel("DB instance class").selectOption("db.m7g.large");
      await estimate.getByText(large, { exact: true }).waitFor();
    });

    // The page shows the estimate intake settled on accepting the request, once the audit trail has it.
    await estimate.getByText(large, { exact: true }).waitFor();
    await expect(estimate.textContent()).resolves.toContain("730 hours of db.m7g.large");
    const submittedAs = await page.getByRole("region", { name: "The request as submitted" }).textContent();
    expect(submittedAs).toContain("RDS PostgreSQL db.m7g.large");
    expect(submittedAs).toContain("eu-west-1");
    expect((await api.get(`/api/requests/${requestId}`)).body).toMatchObject({ region: "eu-west-1" });
  });

  it("names the naming rule a bad bucket name breaks next to it, and submits nothing", async () => {
    const { stack, session } = under;
    const page = await openSignedIn(session, stack.portalUrl, REQUESTER);
    const submitted: string[] = [];
    page.on("request", (request) => {
      if (request.method() === "POST" && new URL(request.url()).pathname === "/api/requests")
        submitted.push(request.url());
    });

    await page.getByLabel("Resource type").selectOption("s3");
    const bucketName = page.getByLabel("Bucket name");
    await bucketName.fill("team_reports");
    await page.getByLabel("Justification").fill("Reports archive");
    await page.getByRole("button", { name: "Submit request" }).click();

    await expect(page.locator('[id="bucketName-error"]').textContent()).resolves.toBe(
      BUCKET_NAME_RULES[1].rule,
    );
    await expect(bucketName.getAttribute("aria-invalid")).resolves.toBe("true");
    await expect(bucketName.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
    await expect(page.getByRole("region", { name: "Estimated cost" }).textContent()).resolves.toContain(
      "Complete the resource's fields",
    );
    expect(new URL(page.url()).pathname).toBe("/");
    expect(submitted).toEqual([]);
  });
});
