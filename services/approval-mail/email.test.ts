import { describe, expect, it } from "vitest";
import type { AcceptedRequest } from "../../events/request.ts";
import {
  sampleBucketRequest,
  sampleDatabaseEstimate,
  sampleDatabaseRequest,
  sampleRequest,
  sampleUnknownBucketEstimate,
} from "../../test/support/fixtures.ts";
import { type ApprovalEmailInput, approvalEmail, closureEmail } from "./email.ts";

const MARKUP_REQUEST = sampleRequest({
  requester: { email: "ana@example.com", name: "<b>Ana</b>" },
  justification: 'Need it <script>alert("x")</script>\r\nBcc: everyone@example.com',
});

const STAGE = "Stage 1 of 2: team leads — 2 approvals needed";

const compose = (
  request: AcceptedRequest = MARKUP_REQUEST,
  {
    signInRequired = false,
    onBehalfOf,
    lease,
    extension,
  }: Pick<ApprovalEmailInput, "onBehalfOf" | "lease" | "extension"> & { signInRequired?: boolean } = {},
) =>
  approvalEmail({
    request,
    approver: "bob@example.com",
    stage: STAGE,
    onBehalfOf,
    expiresAt: new Date("2026-03-04T10:00:00.000Z"),
    publicUrl: "http://localhost:3000",
    tokens: { approve: "v1.approve-token", reject: "v1.reject-token" },
    signInRequired,
    lease,
    extension,
  });

const EXTENSION = {
  n: 1,
  from: "2026-03-08T10:00:00.000Z",
  until: "2026-03-15T10:00:00.000Z",
  justification: 'Another week <script>alert("x")</script>',
};

describe("the approval email", () => {
  it("is addressed to the approver and names the request in its subject, on one line", () => {
    const email = compose();

    expect(email.to).toBe("bob@example.com");
    expect(email.subject).toContain("req-1");
    expect(email.subject).not.toMatch(/[\r\n]/);
  });

  it("holds absolute Approve and Reject links to the decision pages, in HTML and text", () => {
    const email = compose();

    for (const body of [email.html.value, email.text]) {
      expect(body).toContain("http://localhost:3000/decisions/approve?token=v1.approve-token");
      expect(body).toContain("http://localhost:3000/decisions/reject?token=v1.reject-token");
    }
  });

  it("opens its links in a page of their own, without a referrer: a mail viewer's frame would refuse the decision page", () => {
    const links = [...compose().html.value.matchAll(/<a [^>]*>/g)].map(([tag]) => tag);
    expect(links).toHaveLength(2);
    for (const link of links) {
      expect(link).toContain('target="_blank"');
      expect(link).toContain('rel="noopener noreferrer"');
    }
  });

  it("links to the portal's sign-in confirmation with each token in the fragment when decisions require sign-in", () => {
    const email = compose(sampleRequest(), { signInRequired: true });

    for (const body of [email.html.value, email.text]) {
      expect(body).toContain("http://localhost:3000/decide#approve.v1.approve-token");
      expect(body).toContain("http://localhost:3000/decide#reject.v1.reject-token");
      expect(body).not.toContain("?token=");
      expect(body).toContain("sign in as bob@example.com");
    }
  });

  it("shows the request's details and its deadline as a readable UTC date", () => {
    const email = compose(sampleRequest());

    for (const body of [email.html.value, email.text]) {
      expect(body).toContain("t3.micro");
      expect(body).toContain("build-box");
      expect(body).toContain("20 GiB gp3");
      expect(body).toContain("Nightly builds");
      expect(body).toContain("Wed, 4 Mar 2026, 10:00 UTC");
    }
  });

  it("names a database in its subject, and shows its storage, availability, region and estimated cost", () => {
    const email = compose(sampleDatabaseRequest({ region: "eu-west-1", ...sampleDatabaseEstimate() }));

    expect(email.subject).toBe(
      "Approval needed: RDS PostgreSQL 16.8 db.t4g.micro for Ana (request req-db-1)",
    );
    for (const body of [email.html.value, email.text]) {
      expect(body).toContain("asks for RDS PostgreSQL 16.8 db.t4g.micro.");
      expect(body).toContain("20 GiB gp3");
      expect(body).toContain("Single-AZ");
      expect(body).toContain("eu-west-1");
      expect(body).toContain(
        "$13.98 a month: 730 hours of db.t4g.micro (PostgreSQL, Single-AZ) at $0.016 an hour",
      );
    }
    expect(email.text).toContain("Estimated cost: $13.98 a month");
    expect(email.html.value).toContain("<dt>Estimated cost</dt><dd>$13.98 a month");
  });

  it("names a bucket, and says its cost is unknown when a price was not found, never $0", () => {
    const email = compose(sampleBucketRequest(sampleUnknownBucketEstimate()));

    expect(email.subject).toContain("S3 bucket approvals-team-logs");
    expect(email.text).toContain("Versioning: on");
    expect(email.text).toContain("Encryption: SSE-S3 (keys managed by S3)");
    expect(email.text).toContain(
      "Estimated cost: unknown: 0 GiB-months of S3 Standard storage at an unknown price",
    );
    expect(email.text).not.toContain("$0");
    expect(email.html.value).toContain("<dt>Estimated cost</dt><dd>unknown: ");
  });

  it("names the stage that asks and the approvals it needs, in HTML and text", () => {
    const email = compose(sampleRequest());

    for (const body of [email.html.value, email.text]) {
      expect(body).toContain(STAGE);
      expect(body).toContain("You are one of its approvers.");
    }
  });

  it("tells a delegate on whose behalf they are asked", () => {
    const email = compose(sampleRequest(), { onBehalfOf: "dee@example.com" });

    for (const body of [email.html.value, email.text]) {
      expect(body).toContain("You are asked on behalf of dee@example.com");
    }
  });

  it("says how long the approvers approve the resource for, and what happens at the end", () => {
    const leased = compose(sampleRequest(), { lease: { duration: "PT36H", onEnd: "stop", max: "P30D" } });
    const endless = compose(sampleDatabaseRequest(), {
      lease: { duration: null, onEnd: "snapshot-and-delete", max: null },
    });

    for (const body of [leased.html.value, leased.text]) {
      expect(body).toContain(
        "asks for EC2 t3.micro (amazon-linux-2023) for 1 day and 12 hours after it is ready (then stopped).",
      );
    }
    expect(endless.text).toContain("asks for RDS PostgreSQL 16.8 db.t4g.micro with no end.");
  });

  it("asks for an extension of the lease: from when to when, and why, with its own subject", () => {
    const email = compose(sampleRequest(), {
      extension: EXTENSION,
      lease: { duration: "P7D", onEnd: "terminate", max: "P90D" },
    });

    expect(email.subject).toBe(
      "Extension approval needed: lease of EC2 t3.micro (amazon-linux-2023) for Ana until Sun, 15 Mar 2026, 10:00 UTC (request req-1)",
    );
    for (const body of [email.html.value, email.text]) {
      expect(body).toContain(
        "asks to extend the lease of EC2 t3.micro (amazon-linux-2023) from Sun, 8 Mar 2026, 10:00 UTC to Sun, 15 Mar 2026, 10:00 UTC.",
      );
      expect(body).toContain("http://localhost:3000/decisions/approve?token=v1.approve-token");
    }
    expect(email.html.value).toContain("<h1>Extension approval needed</h1>");
    expect(email.text).toContain('Why extend: Another week <script>alert("x")</script>');
    expect(email.html.value).toContain("Another week &lt;script&gt;");
  });

  it("shows markup from the request as text in the HTML", () => {
    const { html } = compose();

    expect(html.value).not.toContain("<script>");
    expect(html.value).not.toContain("<b>Ana</b>");
    expect(html.value).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html.value).toContain("&lt;b&gt;Ana&lt;/b&gt;");
  });
});

describe("the closure email", () => {
  const close = (request = sampleRequest()) =>
    closureEmail({
      request,
      approver: "cy@example.com",
      ended: "was approved",
      outcome: "was approved by bob@example.com and dee@example.com",
    });

  it("tells the approver what happened and by whom, that there is nothing to do and the links no longer work", () => {
    const email = close();

    expect(email.to).toBe("cy@example.com");
    expect(email.subject).toBe("Request req-1 was approved: nothing for you to do");
    for (const body of [email.html.value, email.text]) {
      expect(body).toContain("Request req-1");
      expect(body).toContain("was approved by bob@example.com and dee@example.com");
      expect(body).toContain("Nothing for you to do; your links no longer work.");
    }
  });

  it("says which extension of the lease ended, when a round of one did", () => {
    const email = closureEmail({
      request: sampleRequest(),
      approver: "cy@example.com",
      ended: "was rejected",
      outcome: "was rejected by bob@example.com",
      extension: EXTENSION,
    });

    expect(email.subject).toBe("The extension of request req-1 was rejected: nothing for you to do");
    expect(email.text).toContain(
      "The extension of the lease of request req-1 (EC2 t3.micro (amazon-linux-2023) for Ana <ana@example.com>) to Sun, 15 Mar 2026, 10:00 UTC was rejected by bob@example.com.",
    );
  });

  it("shows markup from the request as text in the HTML, and holds no link", () => {
    const { html } = close(MARKUP_REQUEST);

    expect(html.value).not.toContain("<b>Ana</b>");
    expect(html.value).toContain("&lt;b&gt;Ana&lt;/b&gt;");
    expect(html.value).not.toContain("<a ");
  });
});
