import { describe, expect, it } from "vitest";
import { RELEASED_BEFORE_DECIDED } from "../../events/lease-events.ts";
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
import { type NotifiableEvent, tellsOperators } from "../shared/request-news.ts";
import { noticeOf, operatorNoticeOf } from "./domain.ts";
import { delivered } from "./testing/delivered.ts";
import {
  extensionDecided,
  leaseExpiring,
  leaseExtended,
  releaseFailed,
  resourceReleased,
} from "./testing/lease-news.ts";

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

const SETTINGS = { publicUrl: "https://approvals.example.com" };

/** The requester's email of an event that is news to them. */
const told = (event: NotifiableEvent) => {
  const notice = noticeOf(event, SETTINGS);
  if (!notice) throw new Error(`${event["detail-type"]} told the requester nothing`);
  return notice;
};

/** An operator's email of an event the operators hear of. */
const operatorsTold = (event: NotifiableEvent, operator: string) => {
  if (!tellsOperators(event)) throw new Error(`${event["detail-type"]} tells the operators nothing`);
  return operatorNoticeOf(event, operator);
};

describe("noticeOf", () => {
  it("tells the requester of an invalid request which fields are wrong and why, and the id it was sent as", () => {
    const notice = told(
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
    const notice = told(
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
    const notice = told(rejected("rej-1", { approver: "bob@example.com", reason: "Use the shared runners" }));

    expect(notice.to).toBe("ana@example.com");
    expect(notice.subject).toBe("Request rej-1 was rejected");
    expect(notice.text).toContain("Request rej-1 was rejected by bob@example.com.");
    expect(notice.text).toContain("Reason: Use the shared runners");
  });

  it("explains a refusal by policy, when no approver was asked", () => {
    const notice = told(rejected("rej-2", { reason: "No approver other than the requester" }));

    expect(notice.text).toContain("Request rej-2 was refused before any approver was asked.");
    expect(notice.text).toContain("Reason: No approver other than the requester");
  });

  it("says which policy refused the request, and why, without a separate reason", () => {
    const notice = told(
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
    const notice = told(
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
    const notice = told(
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
    const notice = told(approved("ok-one", { approver: "bob@example.com", reason: "Go ahead" }));

    expect(notice.text).toContain("Request ok-one was approved by bob@example.com.");
    expect(notice.text).toContain("Reason: Go ahead");
  });

  it("tells the requester their request expired, and when", () => {
    const notice = told(
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
    const notice = told(
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
    const notice = told(
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
    const notice = told(
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
    const notice = told(
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
    const notice = told(
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
    const database = told(
      delivered(ProvisioningFailed, {
        requestId: "db-fail",
        request: sampleDatabaseRequest({ requestId: "db-fail" }),
        dbInstanceIdentifier: "orders-1a2b3c4d",
        errorCode: "StorageQuotaExceeded",
        reason: "RDS refused to create the database (StorageQuotaExceeded)",
        failedAt: "2030-01-01T10:05:00.000Z",
      }),
    );
    const bucket = told(
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
    const approvedDatabase = told(
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
      told(rejected("named-1", { approver: "bob@example.com", reason: "No" })),
      told(
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
      told(
        delivered(RequestRejected, {
          requestId: "xss-1",
          request,
          approver: "bob@example.com",
          reason: MARKUP,
          decidedAt: "2030-01-01T10:00:00.000Z",
        }),
      ),
      told(
        delivered(ProvisioningFailed, {
          requestId: "xss-1",
          request,
          reason: MARKUP,
          failedAt: "2030-01-01T10:00:00.000Z",
        }),
      ),
      told(
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

describe("noticeOf, the news of a lease", () => {
  it("reminds the requester when the resource ends, in UTC and in how long, and what happens then", () => {
    const notice = told(leaseExpiring("lease-1"));

    expect(notice.to).toBe("ana@example.com");
    expect(notice.subject).toBe(
      "Request lease-1: your instance i-0123456789abcdef0 ends in 3 days, Tue, 8 Jan 2030, 10:05 UTC",
    );
    expect(notice.text).toContain("Resource ID: instance i-0123456789abcdef0 in eu-west-1");
    expect(notice.text).toContain("Ends: Tue, 8 Jan 2030, 10:05 UTC (in 3 days)");
    expect(notice.text).toContain("The instance will be terminated");
    expect(notice.text).toContain("Justification: Nightly builds");
  });

  it("gives the reminder a link to extend the lease and one to release now, both to the request's page", () => {
    const notice = told(leaseExpiring("lease-2"));

    expect(notice.text).toContain(
      "Extend the lease: https://approvals.example.com/requests/lease-2?action=extend",
    );
    expect(notice.text).toContain(
      "Release now: https://approvals.example.com/requests/lease-2?action=release",
    );
    expect(notice.text).toContain("where you sign in first");
    expect(notice.html.value).toContain(
      'href="https://approvals.example.com/requests/lease-2?action=extend"',
    );
    expect(notice.html.value).toContain(
      'href="https://approvals.example.com/requests/lease-2?action=release"',
    );
  });

  it.each([
    ["stop", "The instance will be stopped"],
    ["snapshot-and-delete", "The database will be deleted after a final snapshot is taken"],
    ["delete-without-snapshot", "The database will be deleted without a final snapshot"],
    ["delete-if-empty", "The bucket will be deleted if it is empty; if it still holds objects it is kept"],
  ] as const)("says in words what the end does when it is to %s the resource", (onEnd, words) => {
    expect(told(leaseExpiring("lease-3", { onEnd, remindedAt: "2030-01-08T08:05:00.000Z" })).text).toContain(
      words,
    );
  });

  it("counts down in the largest units that matter: a reminder two hours before says so", () => {
    const notice = told(leaseExpiring("lease-4", { remindedAt: "2030-01-08T08:05:00.000Z" }));

    expect(notice.subject).toContain("ends in 2 hours");
  });

  it("tells the requester the lease's new end, the one it replaces, and who extended it", () => {
    const byPerson = told(leaseExtended("ext-1"));
    const byPolicy = told(leaseExtended("ext-2", { decider: "policy:dev-boxes" }));

    expect(byPerson.subject).toBe(
      "Request ext-1: the lease of your instance i-0123456789abcdef0 now ends Tue, 15 Jan 2030, 10:05 UTC",
    );
    expect(byPerson.text).toContain("was approved by bob@example.com");
    expect(byPerson.text).toContain("Ends: Tue, 15 Jan 2030, 10:05 UTC");
    expect(byPerson.text).toContain("Ended before: Tue, 8 Jan 2030, 10:05 UTC");
    expect(byPerson.text).toContain("Why extended: The load tests run another week");
    expect(byPolicy.text).toContain("was auto-approved by policy dev-boxes");
  });

  it("tells nothing of an approved extension: its LeaseExtended does", () => {
    expect(
      noticeOf(extensionDecided("ext-3", { approved: true, decider: "bob@example.com" }), SETTINGS),
    ).toBeUndefined();
  });

  it("tells nothing of an extension closed by the release: its ResourceReleased does", () => {
    expect(
      noticeOf(extensionDecided("ext-7", { approved: false, reason: RELEASED_BEFORE_DECIDED }), SETTINGS),
    ).toBeUndefined();
  });

  it("tells the requester who refused an extension and why, and that the lease ends as before", () => {
    const byPerson = told(
      extensionDecided("ext-4", {
        approved: false,
        decider: "bob@example.com",
        reason: "Use the shared cluster",
      }),
    );
    const byPolicy = told(
      extensionDecided("ext-5", {
        approved: false,
        decider: "policy:dev-boxes",
        reason: 'the lease would run longer than the P30D policy "dev-boxes" allows from provisioning',
      }),
    );
    const byNobody = told(extensionDecided("ext-6", { approved: false }));

    expect(byPerson.subject).toBe("Request ext-4: your extension was rejected");
    expect(byPerson.text).toContain("to Tue, 15 Jan 2030, 10:05 UTC was rejected by bob@example.com.");
    expect(byPerson.text).toContain("Reason: Use the shared cluster");
    expect(byPerson.text).toContain("The lease still ends on Tue, 8 Jan 2030, 10:05 UTC.");
    expect(byPolicy.subject).toBe("Request ext-5: your extension was refused");
    expect(byPolicy.text).toContain(
      'was refused by policy dev-boxes: the lease would run longer than the P30D policy "dev-boxes" allows',
    );
    expect(byNobody.subject).toBe("Request ext-6: your extension was not decided in time");
    expect(byNobody.text).toContain("was not decided in time");
  });

  it.each([
    ["lease-ended", undefined, "because its lease ended"],
    ["released-by-requester", { email: "ana@example.com" }, "because you released it"],
    [
      "released-by-operator",
      { email: "olga@example.com" },
      "because an operator, olga@example.com, released it",
    ],
  ] as const)("tells the requester the resource is released, and why: %s", (reason, by, why) => {
    const notice = told(resourceReleased("rel-1", { reason, ...(by && { by }) }));

    expect(notice.subject).toBe("Request rel-1: your instance i-0123456789abcdef0 was terminated");
    expect(notice.text).toContain(`was terminated ${why}.`);
    expect(notice.text).toContain("Outcome: terminated");
  });

  it("names the final snapshot of a released database", () => {
    const notice = told(
      resourceReleased("rel-2", {
        request: sampleDatabaseRequest({ requestId: "rel-2" }),
        resource: { type: "rds", dbInstanceIdentifier: "orders-1a2b3c4d", region: "us-east-1" },
        action: "snapshot-and-delete",
        outcome: "deleted",
        finalSnapshotIdentifier: "orders-1a2b3c4d-final",
      }),
    );

    expect(notice.subject).toBe("Request rel-2: your database orders-1a2b3c4d was deleted");
    expect(notice.text).toContain("Final snapshot: orders-1a2b3c4d-final");
  });

  it("tells the requester of a failed release what went wrong, how often it was tried, and that an operator knows", () => {
    const notice = told(releaseFailed("fail-1"));

    expect(notice.subject).toBe("Request fail-1: your instance i-0123456789abcdef0 could not be released");
    expect(notice.text).toContain("after 3 attempts");
    expect(notice.text).toContain("Problem: The instance is still running after TerminateInstances");
    expect(notice.text).toContain("An operator has been told.");
  });

  it("tells the requester of a bucket kept because it holds objects how to have it released", () => {
    const notice = told(
      releaseFailed("kept-1", {
        request: sampleBucketRequest({ requestId: "kept-1" }),
        resource: { type: "s3", bucketName: "approvals-team-logs", region: "us-east-1" },
        action: "delete-if-empty",
        problem: "The bucket holds 12 objects",
        kept: true,
        attempts: 1,
      }),
    );

    expect(notice.subject).toBe("Request kept-1: your bucket approvals-team-logs was kept: it holds objects");
    expect(notice.text).toContain(
      "it was kept because it holds objects. Empty it and release it again, or ask an operator.",
    );
  });

  it("tells an operator which resource of whose request was not released, and what to do", () => {
    const notice = operatorsTold(releaseFailed("fail-2"), "olga@example.com");

    expect(notice.to).toBe("olga@example.com");
    expect(notice.subject).toBe("Release failed: instance i-0123456789abcdef0 of request fail-2");
    expect(notice.text).toContain(
      "instance i-0123456789abcdef0 in eu-west-1 (EC2 t3.micro (amazon-linux-2023) of ana@example.com, request fail-2)",
    );
    expect(notice.text).toContain("have it terminated by hand");
    expect(notice.text).toContain("Attempts: 3");
    expect(notice.text).toContain("because you are an operator");
  });

  it("tells the operators of a failed release only, not of one done", () => {
    expect(tellsOperators(releaseFailed("ops-1"))).toBe(true);
    expect(tellsOperators(resourceReleased("ops-2"))).toBe(false);
    expect(tellsOperators(leaseExpiring("ops-3"))).toBe(false);
  });

  it("shows markup in an extension's justification and a refusal's reason as text, never as markup", () => {
    const notices = [
      told(
        leaseExtended("xss-2", {
          extension: {
            n: 1,
            from: "2030-01-08T10:05:00.000Z",
            until: "2030-01-15T10:05:00.000Z",
            justification: MARKUP,
          },
        }),
      ),
      told(extensionDecided("xss-2", { approved: false, decider: "bob@example.com", reason: MARKUP })),
      told(releaseFailed("xss-2", { problem: MARKUP })),
    ];

    for (const notice of notices) {
      expect(notice.html.value).not.toContain("<script");
      expect(notice.html.value).toContain(ESCAPED_MARKUP);
    }
  });
});
