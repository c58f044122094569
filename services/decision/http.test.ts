import "../../test/support/service-environment.ts";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import type { LeaseTerms } from "../../events/lease.ts";
import type { AcceptedRequest } from "../../events/request.ts";
import { startTestDynamo, type TestDynamo } from "../../test/support/dynamo.ts";
import { manualClock, silentLogger } from "../../test/support/fakes.ts";
import {
  sampleBucketRequest,
  sampleDatabaseEstimate,
  sampleDatabaseRequest,
  sampleRequest,
  sampleUnknownBucketEstimate,
} from "../../test/support/fixtures.ts";
import { recordingPublisher } from "../../test/support/recording-publisher.ts";
import { recordingSchedules } from "../../test/support/recording-schedules.ts";
import { createDecisionToken, type DecisionAction } from "../shared/decision-token.ts";
import { TEST_KEY, withSegment } from "../shared/testing/decision-tokens.ts";
import { createDecisionApp } from "./http.ts";
import { createOutboxPublisher, type EventPublisher } from "./outbox.ts";
import { type ApprovalStore, createApprovalStore } from "./store.ts";
import { approvalsTable } from "./tables.ts";
import { approversDirectory, outcomesOn, seedPendingApproval } from "./testing/approvals.ts";

const PUBLIC_URL = "http://localhost:3000";
/** What a browser sends with our own form: under `Referrer-Policy: no-referrer` its Origin is "null". */
const OWN_FORM = { "sec-fetch-site": "same-origin", origin: "null" };

let dynamo: TestDynamo;
let store: ApprovalStore;

beforeAll(async () => {
  dynamo = await startTestDynamo([approvalsTable]);
  store = createApprovalStore(approvalsTable.id, dynamo.document);
});
afterAll(() => dynamo.close());

const setUp = async ({
  requestId,
  request = sampleRequest({ requestId }),
  approvers = ["bob@example.com", "cy@example.com"],
  currentApprovers = approvers,
  decisionsRequireSignIn = false,
  publisher,
  lease,
}: {
  requestId: string;
  request?: AcceptedRequest;
  lease?: LeaseTerms;
  approvers?: string[];
  /** Who is in the group "approvers" now, when it differs from those the request's links were sent to. */
  currentApprovers?: string[];
  decisionsRequireSignIn?: boolean;
  publisher?: EventPublisher;
}) => {
  const clock = manualClock();
  const recording = recordingPublisher();
  const bus = outcomesOn(recording);
  const app = createDecisionApp({
    store,
    publishOwed: createOutboxPublisher({
      publisher: publisher ?? recording,
      schedules: recordingSchedules(),
      store,
      now: clock.now,
    }),
    hmacKey: async () => TEST_KEY,
    now: clock.now,
    publicUrl: PUBLIC_URL,
    directory: approversDirectory(currentApprovers),
    decisionsRequireSignIn,
    logger: silentLogger(),
  });
  const links = await seedPendingApproval(store, {
    request,
    approvers,
    createdAt: clock.now(),
    expiresAt: new Date(clock.now().getTime() + 3600_000),
    lease,
  });
  const open = (action: DecisionAction, token: string, method: "GET" | "HEAD" = "GET") =>
    app.request(`/decisions/${action}?token=${encodeURIComponent(token)}`, { method });
  const submit = (
    action: DecisionAction,
    fields: Record<string, string>,
    headers: Record<string, string> = OWN_FORM,
  ) =>
    app.request(`/decisions/${action}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  const press = (action: DecisionAction, token: string, reason = "") =>
    submit(action, { token, reason, confirm: action });
  const stored = () => store.get(requestId);
  return { app, bus, clock, links, open, submit, press, stored };
};

const linksOf = (links: Record<string, Record<DecisionAction, string>>, approver = "bob@example.com") =>
  links[approver] as Record<DecisionAction, string>;

describe("opening a decision link (GET, HEAD)", () => {
  it("shows the request with one Approve button and a labelled reason box, and changes nothing", async () => {
    const { open, links, stored, bus } = await setUp({ requestId: "get-approve" });
    const before = await stored();

    const response = await open("approve", linksOf(links).approve);

    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain("get-approve");
    expect(page).toContain("bob@example.com");
    expect(page).toContain("Nightly builds");
    expect(page).toMatch(/<form[^>]*method="post"[^>]*action="\/decisions\/approve"/);
    expect(page).toMatch(/<button type="submit" name="confirm" value="approve"/);
    expect(page).toContain(`<input type="hidden" name="token" value="${linksOf(links).approve}">`);
    expect(page).toMatch(/<label for="reason">Reason \(optional\)<\/label>/);
    expect(page).toContain('<meta name="viewport"');
    expect(await stored()).toEqual(before);
    expect(bus.published).toHaveLength(0);
  });

  it("shows the lease approving grants, as its policy settled it", async () => {
    const weekThenTerminated = await setUp({
      requestId: "get-lease",
      lease: { duration: "P7D", onEnd: "terminate", max: "P30D" },
    });
    const forever = await setUp({
      requestId: "get-no-end",
      lease: { duration: null, onEnd: "stop", max: null },
    });

    const week = await (
      await weekThenTerminated.open("approve", linksOf(weekThenTerminated.links).approve)
    ).text();
    const noEnd = await (await forever.open("reject", linksOf(forever.links).reject)).text();

    expect(week).toContain(
      '<p class="lease">The resource is kept for 7 days after it is ready (then terminated).</p>',
    );
    expect(noEnd).toContain('<p class="lease">The resource is kept with no end.</p>');
  });

  it("shows a database request's engine, storage, region and estimated cost, as stored with its approval", async () => {
    const request = sampleDatabaseRequest({
      requestId: "get-database",
      region: "eu-west-1",
      ...sampleDatabaseEstimate(),
    });
    const { open, links } = await setUp({ requestId: request.requestId, request });

    const page = await (await open("approve", linksOf(links).approve)).text();

    expect(page).toContain("<dt>Resource</dt><dd>RDS PostgreSQL 16.8 db.t4g.micro</dd>");
    expect(page).toContain("<dt>Storage</dt><dd>20 GiB gp3</dd>");
    expect(page).toContain("<dt>Region</dt><dd>eu-west-1</dd>");
    expect(page).toContain("<dt>Estimated cost</dt><dd>$13.98 a month: 730 hours of db.t4g.micro");
  });

  it("shows a bucket request whose price was not found with its cost unknown, never $0", async () => {
    const request = sampleBucketRequest({ requestId: "get-bucket", ...sampleUnknownBucketEstimate() });
    const { open, links } = await setUp({ requestId: request.requestId, request });

    const page = await (await open("reject", linksOf(links).reject)).text();

    expect(page).toContain("<dt>Resource</dt><dd>S3 bucket approvals-team-logs</dd>");
    expect(page).toContain("<dt>Estimated cost</dt><dd>unknown: ");
    expect(page).not.toContain("$0");
  });

  it("makes the reason required on the reject page", async () => {
    const { open, links } = await setUp({ requestId: "get-reject" });

    const page = await (await open("reject", linksOf(links).reject)).text();

    expect(page).toMatch(/<textarea id="reason" name="reason"[^>]* required/);
    expect(page).toMatch(/<button type="submit" name="confirm" value="reject"/);
  });

  it("answers HEAD like GET, without changing anything", async () => {
    const { open, links, stored, bus } = await setUp({ requestId: "head" });
    const before = await stored();

    const response = await open("approve", linksOf(links).approve, "HEAD");

    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
    expect(await stored()).toEqual(before);
    expect(bus.published).toHaveLength(0);
  });

  it("shows markup from the request as text", async () => {
    const request = sampleRequest({
      requestId: "get-markup",
      requester: { email: "ana@example.com", name: "<img src=x onerror=alert(1)>" },
      justification: "<script>steal()</script>",
    });
    const { open, links } = await setUp({ requestId: "get-markup", request });

    const page = await (await open("approve", linksOf(links).approve)).text();

    expect(page).not.toContain("<script>steal");
    expect(page).not.toContain("<img src=x");
    expect(page).toContain("&lt;script&gt;steal()&lt;/script&gt;");
  });

  it("answers 400 for a link without a token", async () => {
    const { app } = await setUp({ requestId: "get-no-token" });

    const response = await app.request("/decisions/approve");

    expect(response.status).toBe(400);
    expect(await response.text()).toContain("This link is incomplete");
  });
});

describe("deciding (POST)", () => {
  it("approves once: RequestApproved with the request and approver, then the link is used up (410)", async () => {
    const { press, links, bus, stored, clock } = await setUp({ requestId: "post-approve" });

    const first = await press("approve", linksOf(links).approve, "Fine by me");
    const second = await press("approve", linksOf(links).approve);

    expect(first.status).toBe(200);
    expect(await first.text()).toContain("Request post-approve approved");
    expect(second.status).toBe(410);
    expect(await second.text()).toContain("already been decided");
    expect(bus.published).toEqual([
      {
        detailType: "RequestApproved",
        source: "approvals.decision",
        detail: {
          requestId: "post-approve",
          request: sampleRequest({ requestId: "post-approve" }),
          approver: "bob@example.com",
          reason: "Fine by me",
          decidedAt: clock.now().toISOString(),
          approvals: [{ stage: 0, approver: "bob@example.com", decidedAt: clock.now().toISOString() }],
        },
      },
    ]);
    const item = await stored();
    expect(item).toMatchObject({ status: "DECIDED", outcomePublishedAt: clock.now().toISOString() });
    expect(item).not.toHaveProperty("sweepTask");
  });

  it("lets only the first decision win: another approver's link, or the other action, then gets 410", async () => {
    const { press, links, bus } = await setUp({ requestId: "post-race" });

    await press("approve", linksOf(links).approve);
    const otherApprover = await press("reject", linksOf(links, "cy@example.com").reject, "Too big");
    const otherAction = await press("reject", linksOf(links).reject, "Changed my mind");

    expect(otherApprover.status).toBe(410);
    expect(otherAction.status).toBe(410);
    expect(bus.published.map((event) => event.detailType)).toEqual(["RequestApproved"]);
  });

  it("rejects with the approver's reason", async () => {
    const { press, links, bus } = await setUp({ requestId: "post-reject" });

    const response = await press("reject", linksOf(links).reject, "  Use a smaller instance  ");

    expect(response.status).toBe(200);
    expect(bus.published).toMatchObject([
      {
        detailType: "RequestRejected",
        detail: { requestId: "post-reject", approver: "bob@example.com", reason: "Use a smaller instance" },
      },
    ]);
  });

  it("asks again for a reason when a rejection has none, deciding nothing", async () => {
    const { press, links, bus, stored } = await setUp({ requestId: "post-reject-no-reason" });
    const before = await stored();

    const response = await press("reject", linksOf(links).reject, "   ");

    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain('role="alert"');
    expect(page).toContain('aria-invalid="true"');
    expect(await stored()).toEqual(before);
    expect(bus.published).toHaveLength(0);
  });

  it("decides nothing without the button's field", async () => {
    const { submit, links, bus, stored } = await setUp({ requestId: "post-no-button" });
    const before = await stored();

    const response = await submit("approve", { token: linksOf(links).approve });

    expect(response.status).toBe(400);
    expect(await stored()).toEqual(before);
    expect(bus.published).toHaveLength(0);
  });

  it("answers 400 to a form it cannot read, deciding nothing", async () => {
    const { app, bus } = await setUp({ requestId: "post-garbled" });

    const response = await app.request("/decisions/approve", {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=missing", ...OWN_FORM },
      body: "this is not multipart",
    });

    expect(response.status).toBe(400);
    expect(bus.published).toHaveLength(0);
  });

  it.each([
    ["a cross-site form", { "sec-fetch-site": "cross-site", origin: "https://evil.example" }],
    ["a foreign origin without fetch metadata", { origin: "https://evil.example" }],
    ["no origin information at all", {}],
  ])("refuses %s with a 403 page, deciding nothing", async (_case, headers) => {
    const { submit, links, bus, stored } = await setUp({
      requestId: `post-csrf-${Object.keys(headers).length}`,
    });
    const before = await stored();

    const response = await submit("approve", { token: linksOf(links).approve, confirm: "approve" }, headers);

    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain("did not come from the approvals site");
    expect(await stored()).toEqual(before);
    expect(bus.published).toHaveLength(0);
  });

  it("accepts a POST from the site's own origin without fetch metadata", async () => {
    const { submit, links, bus } = await setUp({ requestId: "post-own-origin" });

    const response = await submit(
      "approve",
      { token: linksOf(links).approve, confirm: "approve" },
      { origin: PUBLIC_URL },
    );

    expect(response.status).toBe(200);
    expect(bus.published).toHaveLength(1);
  });

  it("refuses a tampered token with 403, on GET and POST", async () => {
    const { open, press, links, bus } = await setUp({ requestId: "post-tampered" });
    const tampered = withSegment(
      linksOf(links).approve,
      2,
      Buffer.from("mallory@example.com").toString("base64url"),
    );

    const shown = await open("approve", tampered);
    const pressed = await press("approve", tampered);

    expect(shown.status).toBe(403);
    expect(pressed.status).toBe(403);
    expect(await pressed.text()).toContain("This link is not valid");
    expect(bus.published).toHaveLength(0);
  });

  it.each([
    {
      tampering: "a forged MAC",
      requestId: "unread-forged-mac",
      forge: (token: string) => withSegment(token, 5, Buffer.alloc(32, 7).toString("base64url")),
    },
    {
      tampering: "another approver written in",
      requestId: "unread-other-approver",
      forge: (token: string) =>
        withSegment(token, 2, Buffer.from("mallory@example.com").toString("base64url")),
    },
    { tampering: "a malformed token", requestId: "unread-malformed", forge: () => "v1.not-a-token" },
    {
      tampering: "a token far too long",
      requestId: "unread-too-long",
      forge: (token: string) => `${token}${"A".repeat(2048)}`,
    },
  ])("reads nothing from the table for $tampering, on GET and POST (403)", async ({ requestId, forge }) => {
    const { open, press, links } = await setUp({ requestId });
    const forged = forge(linksOf(links).approve);
    const reads = vi.spyOn(store, "get");
    const decisions = vi.spyOn(store, "apply");
    const earlyDecisions = vi.spyOn(store, "recordEarlyDecision");
    onTestFinished(() => {
      reads.mockRestore();
      decisions.mockRestore();
      earlyDecisions.mockRestore();
    });

    const shown = await open("approve", forged);
    const pressed = await press("approve", forged);

    expect([shown.status, pressed.status]).toEqual([403, 403]);
    expect(reads).not.toHaveBeenCalled();
    expect(decisions).not.toHaveBeenCalled();
    expect(earlyDecisions).not.toHaveBeenCalled();
  });

  it("refuses another request's token pointed at this one (403)", async () => {
    const target = await setUp({ requestId: "post-target" });
    const other = await setUp({ requestId: "post-other" });
    const retargeted = withSegment(linksOf(other.links).approve, 1, "post-target");

    const response = await target.press("approve", retargeted);

    expect(response.status).toBe(403);
    expect((await target.stored())?.status).toBe("PENDING");
    expect(target.bus.published).toHaveLength(0);
  });

  it("refuses a correctly signed token whose hash was never stored (403)", async () => {
    const { press, clock, bus } = await setUp({ requestId: "post-unsent" });
    const neverSent = createDecisionToken(
      {
        requestId: "post-unsent",
        action: "approve",
        approver: "bob@example.com",
        expiresAt: new Date(clock.now().getTime() + 3600_000),
      },
      TEST_KEY,
      (size) => Buffer.alloc(size, 99),
    );

    const response = await press("approve", neverSent);

    expect(response.status).toBe(403);
    expect(bus.published).toHaveLength(0);
  });

  it.each([
    ["as she asked", "post-self", "ana@example.com"],
    ["though she asked plus-addressed", "post-self-plus", "ana+cloud@example.com"],
  ])(
    "refuses the requester deciding their own request (403), even with a link, %s",
    async (_case, requestId, asked) => {
      const { open, press, links, bus } = await setUp({
        requestId,
        request: sampleRequest({ requestId, requester: { email: asked } }),
        approvers: ["ana@example.com"],
      });

      const shown = await open("approve", linksOf(links, "ana@example.com").approve);
      const pressed = await press("approve", linksOf(links, "ana@example.com").approve);

      expect(shown.status).toBe(403);
      expect(pressed.status).toBe(403);
      expect(await pressed.text()).toContain("You cannot decide your own request");
      expect(bus.published).toHaveLength(0);
    },
  );

  it("answers 410 on an expired link, on GET and POST, deciding nothing", async () => {
    const { open, press, links, clock, bus, stored } = await setUp({ requestId: "post-expired" });
    clock.advance(3600);

    const shown = await open("approve", linksOf(links).approve);
    const pressed = await press("approve", linksOf(links).approve);

    expect(shown.status).toBe(410);
    expect(pressed.status).toBe(410);
    expect(await pressed.text()).toContain("This link has expired");
    expect((await stored())?.status).toBe("PENDING");
    expect(bus.published).toHaveLength(0);
  });

  it("keeps the decision when publishing fails, leaving the event to the sweeper", async () => {
    const failing: EventPublisher = {
      publish: async () => {
        throw new Error("bus unavailable");
      },
    };
    const { press, links, stored } = await setUp({ requestId: "post-publish-fails", publisher: failing });

    const response = await press("approve", linksOf(links).approve);

    expect(response.status).toBe(200);
    expect(await stored()).toMatchObject({ status: "DECIDED", sweepTask: "PUBLISH" });
  });
});

describe('an approver removed from the group "approvers" since the mail went out', () => {
  it("can no longer decide with their link (403 page), while the approvers still listed can", async () => {
    const { open, press, links, bus, stored } = await setUp({
      requestId: "removed-approver",
      currentApprovers: ["cy@example.com"],
    });

    const shown = await open("approve", linksOf(links, "bob@example.com").approve);
    const pressed = await press("approve", linksOf(links, "bob@example.com").approve);

    expect(shown.status).toBe(403);
    expect(pressed.status).toBe(403);
    expect(await pressed.text()).toContain("You are no longer an approver");
    expect(bus.published).toHaveLength(0);
    expect(await stored()).toMatchObject({ status: "PENDING" });

    const byCy = await press("approve", linksOf(links, "cy@example.com").approve);
    expect(byCy.status).toBe(200);
    expect(bus.published).toEqual([
      expect.objectContaining({
        detailType: "RequestApproved",
        detail: expect.objectContaining({ approver: "cy@example.com" }),
      }),
    ]);
  });
});

describe("a link where decisions require sign-in (DECISIONS_REQUIRE_SIGN_IN)", () => {
  it("opens no form, only a link to sign in as its approver, carrying the token in the fragment", async () => {
    const { open, links, stored } = await setUp({ requestId: "sign-in-get", decisionsRequireSignIn: true });
    const token = linksOf(links).approve;

    const response = await open("approve", token);
    const page = await response.text();

    expect(response.status).toBe(200);
    expect(page).not.toContain("<form");
    expect(page).toContain("Sign in as bob@example.com to decide");
    expect(page).toContain(`href="/decide#approve.${token}"`);
    expect(await stored()).toMatchObject({ status: "PENDING" });
  });

  it("decides nothing from the page's POST (403)", async () => {
    const { press, links, bus, stored } = await setUp({
      requestId: "sign-in-post",
      decisionsRequireSignIn: true,
    });

    const response = await press("approve", linksOf(links).approve);

    expect(response.status).toBe(403);
    expect(await response.text()).toContain("Decisions need sign-in");
    expect(bus.published).toHaveLength(0);
    expect(await stored()).toMatchObject({ status: "PENDING" });
  });
});

type Visit = Awaited<ReturnType<typeof setUp>>;

describe("headers on every decision page", () => {
  it.each<[string, (visit: Visit) => Response | Promise<Response>]>([
    ["the confirmation page", ({ open, links }) => open("approve", linksOf(links).approve)],
    ["the invalid-link page", ({ open, links }) => open("approve", `${linksOf(links).approve}x`)],
    [
      "the cross-site refusal",
      ({ submit, links }) =>
        submit(
          "approve",
          { token: linksOf(links).approve, confirm: "approve" },
          { "sec-fetch-site": "cross-site" },
        ),
    ],
    ["the decided page", ({ press, links }) => press("approve", linksOf(links).approve)],
  ])("are set on %s", async (page, visitPage) => {
    const visit = await setUp({ requestId: `headers-${page.replaceAll(" ", "-")}` });

    const response = await visitPage(visit);

    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
  });
});
