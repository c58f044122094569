import "../test/support/service-environment.ts";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, ApiUnreachableError } from "../api/client.ts";
import type { RequestView } from "../api/schemas.ts";
import type { AcceptedRequest } from "../events/request.ts";
import { createAuditApp } from "../services/audit/http.ts";
import { createAuditStore } from "../services/audit/store.ts";
import { auditRequestsTable, auditTimelineTable, tables } from "../services/audit/tables.ts";
import { secondsAfter } from "../services/audit/testing/flows.ts";
import {
  OPERATOR,
  REQUESTER,
  startTestIdentityProvider,
  type TestIdentityProvider,
} from "../services/shared/testing/access-tokens.ts";
import { startTestDynamo, type TestDynamo } from "../test/support/dynamo.ts";
import { silentLogger } from "../test/support/fakes.ts";
import { sampleBucketRequest, sampleDatabaseRequest, sampleRequest } from "../test/support/fixtures.ts";
import {
  ApiTokenRefusedError,
  formatLocalTime,
  resourceSummary,
  runRequestsCommand,
  UsageError,
} from "./requests.ts";

const START = "2025-06-01T12:00:00Z";

/** More requests than the API's largest page, so an export needs three pages. */
const BULK_COUNT = 205;

const bulkViews: RequestView[] = Array.from({ length: BULK_COUNT }, (_, index) => ({
  requestId: `bulk-${String(index).padStart(3, "0")}`,
  status: index % 2 === 0 ? "PENDING_APPROVAL" : "REJECTED",
  requester: { email: "ana@example.com" },
  submittedAt: new Date(Date.parse(START) + index * 1000).toISOString(),
  updatedAt: new Date(Date.parse(START) + index * 1000).toISOString(),
}));

const NASTY_JUSTIFICATION = '=HYPERLINK("http://evil.example","x"), and "quotes"\nsecond line';

const {
  requester: _requester,
  lease: _lease,
  ...nastyRequest
} = sampleRequest({
  requestId: "nasty",
  resource: { type: "ec2", instanceType: "t3.micro", os: "ubuntu-24.04", name: "-2+3" },
  justification: NASTY_JUSTIFICATION,
});

const nastyView: RequestView = {
  ...nastyRequest,
  status: "PROVISIONED",
  requester: { email: "bob@example.com", name: "@bob, the builder" },
  submittedAt: "2025-06-02T08:30:00.000Z",
  updatedAt: "2025-06-02T08:31:00.000Z",
  instanceId: "i-0123456789abcdef0",
};

describe("the requests CLI against the audit API", () => {
  let dynamo: TestDynamo;
  let server: Server;
  let apiUrl: string;
  let workDir: string;
  let identityProvider: TestIdentityProvider;
  /** An operator's: the CLI reads every request. */
  let accessToken: string;

  const run = (...args: string[]) => runRequestsCommand(args, { apiUrl, accessToken, cwd: workDir });

  beforeAll(async () => {
    dynamo = await startTestDynamo(tables);
    identityProvider = await startTestIdentityProvider();
    accessToken = await identityProvider.accessToken(OPERATOR);
    const store = createAuditStore(dynamo.document, {
      requests: auditRequestsTable.id,
      timeline: auditTimelineTable.id,
    });
    await Promise.all([...bulkViews, nastyView].map((view) => store.saveView(view, 1)));
    server = serve({
      fetch: createAuditApp(store, silentLogger(), identityProvider.verifyAccessToken).fetch,
      port: 0,
      hostname: "127.0.0.1",
    }) as Server;
    await once(server, "listening");
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    workDir = await mkdtemp(join(tmpdir(), "requests-cli-"));
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
    await dynamo.close();
    await rm(workDir, { recursive: true, force: true });
  });

  describe("export", () => {
    it("writes every request, following the pages to the end, one row each", async () => {
      const output = await run("export", "all.csv");

      const csv = await readFile(join(workDir, "all.csv"), "utf8");
      expect(output).toBe(`Wrote ${BULK_COUNT + 1} requests to ${join(workDir, "all.csv")}`);
      expect(csv.split("\r\n")[0]).toMatch(/^requestId,status,requesterEmail,requesterName,/);
      for (const { requestId } of bulkViews) {
        expect(csv.match(new RegExp(`\r\n${requestId},`, "g")), requestId).toHaveLength(1);
      }
    });

    it("quotes commas, quotes and line breaks, and defuses cells a spreadsheet would run", async () => {
      await run("export", "nasty.csv", "--requester", "bob@example.com");

      const csv = await readFile(join(workDir, "nasty.csv"), "utf8");
      const row = csv.slice(csv.indexOf("\r\n") + 2);
      const expectedCells = [
        "nasty",
        "PROVISIONED",
        "bob@example.com",
        `"'@bob, the builder"`,
        "t3.micro",
        "ubuntu-24.04",
        "'-2+3",
        "",
        "",
        `"'=HYPERLINK(""http://evil.example"",""x""), and ""quotes""\nsecond line"`,
        "2025-06-02T08:30:00.000Z",
        "",
        "",
        "",
        "",
        "i-0123456789abcdef0",
        "",
        "",
        "",
        "2025-06-02T08:31:00.000Z",
        "ec2",
        // The columns of the other resource types, region, estimate and lease: none for this request.
        ...Array.from({ length: 22 }, () => ""),
      ];
      expect(row).toBe(`${expectedCells.join(",")}\r\n`);
    });

    it("exports only the requests matching the filters", async () => {
      await run("export", "rejected.csv", "--status", "REJECTED");

      const csv = await readFile(join(workDir, "rejected.csv"), "utf8");
      const rows = csv.trimEnd().split("\r\n").slice(1);
      expect(rows).toHaveLength(Math.floor(BULK_COUNT / 2));
      expect(rows.every((row) => row.split(",")[1] === "REJECTED")).toBe(true);
    });
  });

  describe("list", () => {
    it("prints a table with each request's id, status, requester, resource and local submission time", async () => {
      const output = await run("list", "--requester", "bob@example.com");

      const [header, rule, row, ...rest] = output.split("\n");
      expect(header).toMatch(/^ID\s+STATUS\s+REQUESTER\s+RESOURCE\s+SUBMITTED$/);
      expect(rule).toMatch(/^[- ]+$/);
      expect(rest).toEqual([]);
      expect(row).toContain("nasty");
      expect(row).toContain("PROVISIONED");
      expect(row).toContain("bob@example.com");
      expect(row).toContain('ec2 t3.micro "-2+3"');
      expect(row).toContain(formatLocalTime(nastyView.submittedAt));
      expect(row).not.toContain(nastyView.submittedAt);
    });

    it("lists every page of matching requests", async () => {
      const output = await run("list", "--status", "PENDING_APPROVAL");

      expect(output.split("\n").slice(2)).toHaveLength(Math.ceil(BULK_COUNT / 2));
    });

    it("says so when nothing matches", async () => {
      expect(await run("list", "--requester", "nobody@example.com")).toBe("No requests match.");
    });
  });

  describe("errors", () => {
    it("explains that the API is not running when nothing answers", async () => {
      const closed = serve({ fetch: () => new Response(), port: 0, hostname: "127.0.0.1" }) as Server;
      await once(closed, "listening");
      const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
      await new Promise((done) => closed.close(done));

      const failure = runRequestsCommand(["list"], { apiUrl: deadUrl, cwd: workDir });

      await expect(failure).rejects.toThrow(ApiUnreachableError);
      await expect(failure).rejects.toThrow(deadUrl);
    });

    it("passes the API's reason on when it refuses a filter", async () => {
      const failure = run("list", "--status", "DONE");

      await expect(failure).rejects.toThrow(ApiError);
      await expect(failure).rejects.toThrow(/400.*status/);
    });

    it("names API_TOKEN when none is set and the API asks for one", async () => {
      const failure = runRequestsCommand(["list"], { apiUrl, cwd: workDir });

      await expect(failure).rejects.toThrow(ApiTokenRefusedError);
      await expect(failure).rejects.toThrow(
        /API_TOKEN is not set\. Set API_TOKEN to an operator's access token, e\.g\. API_TOKEN=\$\(npm run -s token -- operator@example\.com\)/,
      );
    });

    it("names API_TOKEN when the API does not accept the token, with the API's reason", async () => {
      const expired = await identityProvider.accessToken(OPERATOR, { expiresIn: "-1m" });

      const failure = runRequestsCommand(["export", "x.csv"], { apiUrl, accessToken: expired, cwd: workDir });

      await expect(failure).rejects.toThrow(ApiTokenRefusedError);
      await expect(failure).rejects.toThrow(
        /refused: 401 The access token has expired\. Set API_TOKEN to an operator's access token/,
      );
    });

    it("names API_TOKEN when its user may not read requests at all", async () => {
      const outsider = await identityProvider.accessToken({ email: "guest@example.com", groups: [] });

      const failure = runRequestsCommand(["list"], { apiUrl, accessToken: outsider, cwd: workDir });

      await expect(failure).rejects.toThrow(
        /refused: 403 Only members of .*\. Set API_TOKEN to an operator's access token/,
      );
    });

    it("lists only what the token's user may see: a requester's token, only their own requests", async () => {
      const requesterToken = await identityProvider.accessToken({ ...REQUESTER, email: "bob@example.com" });

      const output = await runRequestsCommand(["list"], {
        apiUrl,
        accessToken: requesterToken,
        cwd: workDir,
      });

      expect(
        output
          .split("\n")
          .slice(2)
          .map((row) => row.split(/\s+/)[0]),
      ).toEqual(["nasty"]);
    });

    it.each([[[]], [["export"]], [["list", "extra"]], [["list", "--colour", "red"]], [["remove", "x"]]])(
      "shows the usage for %j",
      async (args) => {
        await expect(runRequestsCommand(args, { apiUrl, cwd: workDir })).rejects.toThrow(UsageError);
      },
    );
  });
});

describe("formatLocalTime", () => {
  it("shows an instant as a readable date and time, not as ISO", () => {
    const shown = formatLocalTime(secondsAfter(START, 0));

    expect(shown).toMatch(/2025/);
    expect(shown).not.toMatch(/T\d\d:/);
  });
});

describe("resourceSummary", () => {
  const viewOf = ({
    requestId,
    requester: _requester,
    lease: _lease,
    ...request
  }: AcceptedRequest): RequestView => ({
    ...request,
    requestId,
    status: "SUBMITTED",
    submittedAt: START,
    updatedAt: START,
  });

  it("gives an instance's type and name", () => {
    expect(resourceSummary(viewOf(sampleRequest()))).toBe('ec2 t3.micro "build-box"');
  });

  it("gives a database's engine, version, class and name, and its region", () => {
    expect(resourceSummary(viewOf(sampleDatabaseRequest({ region: "eu-west-1" })))).toBe(
      'rds postgres 16.8 db.t4g.micro "orders" in eu-west-1',
    );
  });

  it("gives a bucket's name and region", () => {
    expect(resourceSummary(viewOf(sampleBucketRequest()))).toBe("s3 approvals-team-logs in us-east-1");
  });
});
