import { describe, expect, it } from "vitest";
import { ProvisioningFailed } from "../../events/provisioning-failed.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestCancelled } from "../../events/request-cancelled.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { RequestInvalid } from "../../events/request-invalid.ts";
import { RequestRejected } from "../../events/request-rejected.ts";
import { ResourceProvisioned } from "../../events/resource-provisioned.ts";
import { sampleRequest } from "../../test/support/fixtures.ts";
import { noticeOf } from "./domain.ts";
import { delivered } from "./testing/delivered.ts";

/** Markup an attacker might put in any free-text field; emails must show it as text. */
const MARKUP = `<script>alert("x")</script><img src=x onerror=alert(1)>`;

const ESCAPED_MARKUP = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;";

const POLICY = { name: "small-dev-boxes", hash: "0123456789ab" };

const approved = (
  requestId: string,
  fields: {
    approver: string;
    reason?: string;
    policy?: typeof POLICY;
    approvals?: { stage: number; approver: string; onBehalfOf?: string; decidedAt: string }[];
  },
) =>
  delivered(RequestApproved, {
    requestId,
    request: sampleRequest({ requestId }),
    ...fields,
    decidedAt: "2030-01-01T10:00:00.000Z",
  });

const rejected = (requestId: string, fields: { approver?: string; reason: string; policy?: typeof POLICY }) =>
  delivered(RequestRejected, {
    requestId,
    request: sampleRequest({ requestId: requestId }),
    ...fields,
    decidedAt: "2030-01-01T10:00:00.000Z",
  });

describe("noticeOf", () => {
  it("tells the requester of an invalid request which fields are wrong and why, and the id it was sent as", () => {
    const notice = noticeOf(
      delivered(RequestInvalid, {
        requestId: "bad-1",
        givenRequestId: "ticket-42",
        requesterEmail: "ana@example.com",
        errors: [
          { field: "resource.instanceType", message: "must be one of t3.nano, t3.micro" },
          { field: "justification", message: "is required" },
        ],
        sourceEventId: "evt-0",
        rejectedAt: "2030-01-01T10:00:00.000Z",
      }),
    );

    expect(notice.to).toBe("ana@example.com");
    expect(notice.subject).toBe("Request bad-1 was not accepted");
    expect(notice.text).toContain("resource.instanceType: must be one of t3.nano, t3.micro");
    expect(notice.text).toContain("justification: is required");
    expect(notice.text).toContain("Sent as: ticket-42");
    expect(notice.html.value).toContain(
      "<dt>resource.instanceType</dt><dd>must be one of t3.nano, t3.micro</dd>",
    );
  });

  it("names nobody to tell when the invalid request had no usable email", () => {
    const notice = noticeOf(
      delivered(RequestInvalid, {
        requestId: "bad-2",
        errors: [{ field: "requester.email", message: "is required" }],
        sourceEventId: "evt-0",
        rejectedAt: "2030-01-01T10:00:00.000Z",
      }),
    );

    expect(notice.to).toBeUndefined();
  });

  it("tells the requester who rejected the request and why", () => {
    const notice = noticeOf(
      rejected("rej-1", { approver: "bob@example.com", reason: "Use the shared runners" }),
    );

    expect(notice.to).toBe("ana@example.com");
    expect(notice.subject).toBe("Request rej-1 was rejected");
    expect(notice.text).toContain("Request rej-1 was rejected by bob@example.com.");
    expect(notice.text).toContain("Reason: Use the shared runners");
  });

  it("explains a refusal by policy, when no approver was asked", () => {
    const notice = noticeOf(rejected("rej-2", { reason: "No approver other than the requester" }));

    expect(notice.text).toContain("Request rej-2 was refused before any approver was asked.");
    expect(notice.text).toContain("Reason: No approver other than the requester");
  });

  it("says which policy refused the request, and why, without a separate reason", () => {
    const notice = noticeOf(
      rejected("rej-3", {
        approver: "policy:no-huge-volumes",
        reason: "volumes over 4 TiB go through capacity planning",
        policy: { name: "no-huge-volumes", hash: "0123456789ab" },
      }),
    );

    expect(notice.subject).toBe("Request rej-3 was refused");
    expect(notice.text).toContain(
      "Request rej-3 was refused by policy no-huge-volumes: volumes over 4 TiB go through capacity planning.",
    );
    expect(notice.text).not.toContain("Reason:");
  });

  it("says which policy auto-approved the request, and why", () => {
    const notice = noticeOf(
      approved("ok-auto", {
        approver: "policy:small-dev-boxes",
        reason: "small burstable instance",
        policy: POLICY,
      }),
    );

    expect(notice.to).toBe("ana@example.com");
    expect(notice.subject).toBe("Request ok-auto was auto-approved");
    expect(notice.text).toContain(
      "Request ok-auto was auto-approved by policy small-dev-boxes: small burstable instance.",
    );
    expect(notice.text).not.toContain("Reason:");
  });

  it("names every approver of a request approved by several, and a delegate's principal", () => {
    const notice = noticeOf(
      approved("ok-quorum", {
        approver: "cy@example.com",
        approvals: [
          { stage: 0, approver: "bob@example.com", decidedAt: "2030-01-01T09:00:00.000Z" },
          {
            stage: 0,
            approver: "cy@example.com",
            onBehalfOf: "dee@example.com",
            decidedAt: "2030-01-01T10:00:00.000Z",
          },
        ],
      }),
    );

    expect(notice.subject).toBe("Request ok-quorum was approved");
    expect(notice.text).toContain(
      "Request ok-quorum was approved by bob@example.com and cy@example.com on behalf of dee@example.com.",
    );
  });

  it("names the one approver of a request approved by one, with their reason", () => {
    const notice = noticeOf(approved("ok-one", { approver: "bob@example.com", reason: "Go ahead" }));

    expect(notice.text).toContain("Request ok-one was approved by bob@example.com.");
    expect(notice.text).toContain("Reason: Go ahead");
  });

  it("tells the requester their request expired, and when", () => {
    const notice = noticeOf(
      delivered(RequestExpired, {
        requestId: "exp-1",
        request: sampleRequest({ requestId: "exp-1" }),
        expiresAt: "2030-01-04T10:00:00.000Z",
        expiredAt: "2030-01-04T10:00:30.000Z",
      }),
    );

    expect(notice.subject).toBe("Request exp-1 expired without a decision");
    expect(notice.text).toContain("Expired: Fri, 4 Jan 2030, 10:00 UTC");
  });

  it("confirms a withdrawal to the requester, with their reason", () => {
    const notice = noticeOf(
      delivered(RequestCancelled, {
        requestId: "wd-1",
        request: sampleRequest({ requestId: "wd-1" }),
        cancelledBy: "ana@example.com",
        reason: "Found a spare box",
        cancelledAt: "2030-01-04T10:00:00.000Z",
      }),
    );

    expect(notice.to).toBe("ana@example.com");
    expect(notice.subject).toBe("You withdrew request wd-1");
    expect(notice.text).toContain("Reason: Found a spare box");
    expect(notice.text).toContain("Withdrawn: Fri, 4 Jan 2030, 10:00 UTC");
  });

  it("gives the instance id and private IP of a provisioned request", () => {
    const notice = noticeOf(
      delivered(ResourceProvisioned, {
        requestId: "ok-1",
        request: sampleRequest({ requestId: "ok-1" }),
        instanceId: "i-0123456789abcdef0",
        privateIp: "10.0.1.25",
        provisionedAt: "2030-01-01T10:05:00.000Z",
      }),
    );

    expect(notice.subject).toBe("Request ok-1: instance i-0123456789abcdef0 is running");
    expect(notice.text).toContain("Instance ID: i-0123456789abcdef0");
    expect(notice.text).toContain("Private IP: 10.0.1.25");
    expect(notice.html.value).toContain("<dd>i-0123456789abcdef0</dd>");
    expect(notice.html.value).toContain("<dd>10.0.1.25</dd>");
  });

  it("gives the reason a launch failed", () => {
    const notice = noticeOf(
      delivered(ProvisioningFailed, {
        requestId: "fail-1",
        request: sampleRequest({ requestId: "fail-1" }),
        errorCode: "InvalidSubnetID.NotFound",
        reason: "EC2 refused to launch the instance (InvalidSubnetID.NotFound): no such subnet",
        failedAt: "2030-01-01T10:05:00.000Z",
      }),
    );

    expect(notice.subject).toBe("Request fail-1: the instance could not be launched");
    expect(notice.text).toContain(
      "Reason: EC2 refused to launch the instance (InvalidSubnetID.NotFound): no such subnet",
    );
    expect(notice.text).toContain("Error code: InvalidSubnetID.NotFound");
  });

  it("names the request id in the subject, the text and the HTML of every email", () => {
    const notices = [
      noticeOf(rejected("named-1", { approver: "bob@example.com", reason: "No" })),
      noticeOf(
        delivered(ResourceProvisioned, {
          requestId: "named-2",
          request: sampleRequest({ requestId: "named-2" }),
          instanceId: "i-0123456789abcdef0",
          provisionedAt: "2030-01-01T10:05:00.000Z",
        }),
      ),
    ];

    for (const [index, notice] of notices.entries()) {
      const requestId = `named-${index + 1}`;
      expect(notice.requestId).toBe(requestId);
      expect(notice.subject).toContain(requestId);
      expect(notice.text).toContain(requestId);
      expect(notice.html.value).toContain(requestId);
    }
  });

  it("shows markup in the request's text, the reason and the field errors as text, never as markup", () => {
    const request = sampleRequest({
      requestId: "xss-1",
      justification: MARKUP,
      resource: { ...sampleRequest({ requestId: "xss-1" }).resource, name: MARKUP },
    });
    const notices = [
      noticeOf(
        delivered(RequestRejected, {
          requestId: "xss-1",
          request,
          approver: "bob@example.com",
          reason: MARKUP,
          decidedAt: "2030-01-01T10:00:00.000Z",
        }),
      ),
      noticeOf(
        delivered(ProvisioningFailed, {
          requestId: "xss-1",
          request,
          reason: MARKUP,
          failedAt: "2030-01-01T10:00:00.000Z",
        }),
      ),
      noticeOf(
        delivered(RequestInvalid, {
          requestId: "xss-1",
          requesterEmail: "ana@example.com",
          errors: [{ field: MARKUP, message: MARKUP }],
          sourceEventId: "evt-0",
          rejectedAt: "2030-01-01T10:00:00.000Z",
        }),
      ),
    ];

    for (const notice of notices) {
      expect(notice.html.value).not.toContain("<script");
      expect(notice.html.value).not.toContain("<img");
      expect(notice.html.value).toContain(ESCAPED_MARKUP);
      expect(notice.text).toContain(MARKUP);
    }
  });
});
