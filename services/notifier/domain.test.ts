import { describe, expect, it } from "vitest";
import { ProvisioningFailed } from "../../events/provisioning-failed.ts";
import { RequestApproved } from "../../events/request-approved.ts";
import { RequestCancelled } from "../../events/request-cancelled.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { RequestInvalid } from "../../events/request-invalid.ts";
import { RequestRejected } from "../../events/request-rejected.ts";
import { ResourceProvisioned } from "../../events/resource-provisioned.ts";
import {
  sampleBucketRequest,
  sampleDatabaseEstimate,
  sampleDatabaseRequest,
  sampleRequest,
} from "../../test/support/fixtures.ts";
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

  it("gives a provisioned database's endpoint, database name, and the secret's ARN with how to read it, never a password", () => {
    const request = sampleDatabaseRequest({ requestId: "db-1", ...sampleDatabaseEstimate() });
    const secretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0a1b2c3d-AbCdEf";
    const notice = noticeOf(
      delivered(ResourceProvisioned, {
        requestId: "db-1",
        request,
        database: {
          identifier: "orders-1a2b3c4d",
          host: "orders-1a2b3c4d.abcdefghij.us-east-1.rds.amazonaws.com",
          port: 5432,
          masterUserSecretArn: secretArn,
          databaseName: "orders",
        },
        provisionedAt: "2030-01-01T10:15:00.000Z",
      }),
    );

    expect(notice.subject).toBe("Request db-1: database orders-1a2b3c4d is available");
    expect(notice.text).toContain("Your database is available");
    expect(notice.text).toContain("Endpoint: orders-1a2b3c4d.abcdefghij.us-east-1.rds.amazonaws.com:5432");
    expect(notice.text).toContain("Database name: orders");
    expect(notice.text).toContain(`Credentials secret: ${secretArn}`);
    expect(notice.text).toContain(
      `aws secretsmanager get-secret-value --secret-id '${secretArn}' --region us-east-1 --query SecretString --output text`,
    );
    expect(notice.text).toContain(
      'psql "host=orders-1a2b3c4d.abcdefghij.us-east-1.rds.amazonaws.com port=5432 dbname=orders user=<username from the secret>"',
    );
    expect(notice.text).toContain("Resource: RDS PostgreSQL 16.8 db.t4g.micro");
    expect(notice.text).toContain("Estimated cost: $13.98 a month");
    expect(notice.text).not.toMatch(/password:/i);
    expect(notice.html.value).toContain(`<dd>${secretArn}</dd>`);
  });

  it("gives a provisioned bucket's name, ARN and region", () => {
    const request = sampleBucketRequest({ requestId: "bucket-1", region: "eu-west-1" });
    const notice = noticeOf(
      delivered(ResourceProvisioned, {
        requestId: "bucket-1",
        request,
        bucket: {
          name: "approvals-team-logs",
          arn: "arn:aws:s3:::approvals-team-logs",
          region: "eu-west-1",
        },
        provisionedAt: "2030-01-01T10:01:00.000Z",
      }),
    );

    expect(notice.subject).toBe("Request bucket-1: bucket approvals-team-logs is ready");
    expect(notice.text).toContain("Bucket: approvals-team-logs");
    expect(notice.text).toContain("ARN: arn:aws:s3:::approvals-team-logs");
    expect(notice.text).toContain("Bucket region: eu-west-1");
    expect(notice.text).toContain("Public access is blocked");
  });

  it("names the database or the bucket that could not be created, and what failed", () => {
    const database = noticeOf(
      delivered(ProvisioningFailed, {
        requestId: "db-fail",
        request: sampleDatabaseRequest({ requestId: "db-fail" }),
        dbInstanceIdentifier: "orders-1a2b3c4d",
        errorCode: "StorageQuotaExceeded",
        reason: "RDS refused to create the database (StorageQuotaExceeded)",
        failedAt: "2030-01-01T10:05:00.000Z",
      }),
    );
    const bucket = noticeOf(
      delivered(ProvisioningFailed, {
        requestId: "bucket-fail",
        request: sampleBucketRequest({ requestId: "bucket-fail" }),
        bucketName: "approvals-team-logs",
        errorCode: "BucketAlreadyExists",
        reason: "The bucket name approvals-team-logs belongs to another account",
        failedAt: "2030-01-01T10:05:00.000Z",
      }),
    );

    expect(database.subject).toBe("Request db-fail: the database could not be created");
    expect(database.text).toContain("Request db-fail was approved, but creating its database failed.");
    expect(database.text).toContain("DB instance: orders-1a2b3c4d");
    expect(database.text).toContain("Error code: StorageQuotaExceeded");
    expect(bucket.subject).toBe("Request bucket-fail: the bucket could not be created");
    expect(bucket.text).toContain("Bucket: approvals-team-logs");
    expect(bucket.text).toContain("Reason: The bucket name approvals-team-logs belongs to another account");
  });

  it("tells an approved requester which email comes next, in the words of the resource's type", () => {
    const approvedDatabase = noticeOf(
      delivered(RequestApproved, {
        requestId: "db-ok",
        request: sampleDatabaseRequest({ requestId: "db-ok" }),
        approver: "bob@example.com",
        decidedAt: "2030-01-01T10:00:00.000Z",
      }),
    );

    expect(approvedDatabase.text).toContain(
      "You get another email once its database is available, or if it cannot be created.",
    );
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
      resource: { type: "ec2", instanceType: "t3.micro", os: "amazon-linux-2023", name: MARKUP },
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
