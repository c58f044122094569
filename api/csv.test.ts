import { describe, expect, it } from "vitest";
import {
  sampleBucketRequest,
  sampleDatabaseEstimate,
  sampleDatabaseRequest,
  sampleUnknownBucketEstimate,
} from "../test/support/fixtures.ts";
import { csvCell, requestsToCsv } from "./csv.ts";
import type { RequestView } from "./schemas.ts";

const request = (view: Partial<RequestView>): RequestView => ({
  requestId: "req-1",
  status: "SUBMITTED",
  submittedAt: "2025-06-01T12:00:00.000Z",
  updatedAt: "2025-06-01T12:06:00.000Z",
  ...view,
});

/** The written cell of one column for one request, read back by its header. */
const cellOf = (view: RequestView, column: string) => {
  const [header = "", row = ""] = requestsToCsv([view]).split("\r\n");
  const index = header.split(",").indexOf(column);
  expect(index, `column ${column}`).toBeGreaterThanOrEqual(0);
  return row.split(",")[index];
};

describe("the requests CSV", () => {
  it("writes a header and one row per request, in column order", () => {
    const csv = requestsToCsv([
      {
        requestId: "req-1",
        status: "PROVISIONED",
        requester: { email: "ana@example.com", name: "Ana" },
        resource: {
          type: "ec2",
          instanceType: "t3.micro",
          os: "amazon-linux-2023",
          volume: { sizeGiB: 20, type: "gp3" },
        },
        submittedAt: "2025-06-01T12:00:00.000Z",
        decision: {
          outcome: "APPROVED",
          approver: "approver@example.com",
          decidedAt: "2025-06-01T12:05:00.000Z",
        },
        instanceId: "i-0123456789abcdef0",
        updatedAt: "2025-06-01T12:06:00.000Z",
      },
    ]);

    const [header, row, end] = csv.split("\r\n");
    expect(header?.split(",").slice(0, 3)).toEqual(["requestId", "status", "requesterEmail"]);
    expect(row).toBe(
      "req-1,PROVISIONED,ana@example.com,Ana,t3.micro,amazon-linux-2023,,20,gp3,,2025-06-01T12:00:00.000Z,APPROVED,approver@example.com,,2025-06-01T12:05:00.000Z,i-0123456789abcdef0,,,,2025-06-01T12:06:00.000Z,ec2" +
        ",".repeat(22),
    );
    expect(end).toBe("");
  });

  it("keeps the first columns in their old order, and adds the new ones at the end", () => {
    const [header] = requestsToCsv([]).split("\r\n");
    expect(header).toBe(
      [
        "requestId,status,requesterEmail,requesterName,instanceType,os,instanceName,volumeSizeGiB,volumeType",
        "justification,submittedAt,decision,approver,decisionReason,decidedAt,instanceId,privateIp",
        "failureReason,invalidFields,updatedAt,resourceType,region,estimatedMonthlyCostUsd,costEstimate",
        "engine,engineVersion,instanceClass,dbInstanceName,databaseName,allocatedStorageGiB,storageType",
        "multiAz,backupRetentionDays,dbInstanceIdentifier,dbEndpoint,dbSecretArn,bucketName,versioning",
        "encryption,expireObjectsAfterDays,bucketArn,leaseEndsAt,releasedAt",
      ].join(","),
    );
  });

  it("writes a database's engine, class, storage, region, estimate and endpoint, and leaves the EC2 columns empty", () => {
    // Without the estimate's parts, whose words hold commas, so each cell reads back by a plain split;
    // without the lease it asks for, which a view holds as the terms its policy settled.
    const {
      requestId: _id,
      requester,
      costEstimate: _parts,
      lease: _lease,
      ...database
    } = sampleDatabaseRequest({
      region: "eu-west-1",
      ...sampleDatabaseEstimate(),
    });
    const view = request({
      ...database,
      status: "PROVISIONED",
      requester,
      dbInstanceIdentifier: "orders-1a2b3c4d",
      database: {
        identifier: "orders-1a2b3c4d",
        host: "orders.example.rds.amazonaws.com",
        port: 5432,
        masterUserSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1",
        databaseName: "orders",
      },
    });

    expect(cellOf(view, "resourceType")).toBe("rds");
    expect(cellOf(view, "region")).toBe("eu-west-1");
    expect(cellOf(view, "estimatedMonthlyCostUsd")).toBe("13.98");
    expect(cellOf(view, "engine")).toBe("postgres");
    expect(cellOf(view, "engineVersion")).toBe("16.8");
    expect(cellOf(view, "instanceClass")).toBe("db.t4g.micro");
    expect(cellOf(view, "dbInstanceName")).toBe("orders");
    expect(cellOf(view, "allocatedStorageGiB")).toBe("20");
    expect(cellOf(view, "multiAz")).toBe("false");
    expect(cellOf(view, "backupRetentionDays")).toBe("7");
    expect(cellOf(view, "dbInstanceIdentifier")).toBe("orders-1a2b3c4d");
    expect(cellOf(view, "dbEndpoint")).toBe("orders.example.rds.amazonaws.com:5432");
    expect(cellOf(view, "dbSecretArn")).toBe("arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1");
    expect(cellOf(view, "instanceType")).toBe("");
    expect(cellOf(view, "instanceName")).toBe("");
    expect(cellOf(view, "bucketName")).toBe("");
  });

  it("writes a bucket's settings, and an unknown estimate as unknown, never 0", () => {
    const {
      requestId: _id,
      requester,
      costEstimate: _parts,
      lease: _lease,
      ...bucket
    } = sampleBucketRequest({
      ...sampleUnknownBucketEstimate(),
      resource: {
        type: "s3",
        bucketName: "approvals-team-logs",
        versioning: false,
        encryption: "sse-kms",
        expireObjectsAfterDays: 30,
      },
    });
    const view = request({
      ...bucket,
      status: "PROVISIONED",
      requester,
      bucket: { name: "approvals-team-logs", arn: "arn:aws:s3:::approvals-team-logs", region: "us-east-1" },
    });

    expect(cellOf(view, "resourceType")).toBe("s3");
    expect(cellOf(view, "estimatedMonthlyCostUsd")).toBe("unknown");
    expect(cellOf(view, "bucketName")).toBe("approvals-team-logs");
    expect(cellOf(view, "versioning")).toBe("false");
    expect(cellOf(view, "encryption")).toBe("sse-kms");
    expect(cellOf(view, "expireObjectsAfterDays")).toBe("30");
    expect(cellOf(view, "bucketArn")).toBe("arn:aws:s3:::approvals-team-logs");
    expect(cellOf(view, "engine")).toBe("");
  });

  it("writes the estimate's parts in words, quoted as one cell", () => {
    const view = request({ ...sampleDatabaseEstimate() });
    const [, row = ""] = requestsToCsv([view]).split("\r\n");

    expect(row).toContain(
      '"$13.98 a month: 730 hours of db.t4g.micro (PostgreSQL, Single-AZ) at $0.016 an hour = $11.68; 20 GiB-months of gp3 storage at $0.115 a GiB-month = $2.30; us-east-1 prices as of 2026-12-07"',
    );
  });

  it("leaves the estimate empty for a request accepted before estimates", () => {
    expect(cellOf(request({}), "estimatedMonthlyCostUsd")).toBe("");
    expect(cellOf(request({}), "costEstimate")).toBe("");
  });

  it("writes the lease's end, and when the resource was released", () => {
    const released = request({
      status: "RELEASED",
      leaseEndsAt: "2025-06-08T12:06:00.000Z",
      lease: {
        duration: "P7D",
        onEnd: "terminate",
        max: "P30D",
        startedAt: "2025-06-01T12:06:00.000Z",
        endsAt: "2025-06-08T12:06:00.000Z",
        extensions: [],
        release: {
          reason: "lease-ended",
          action: "terminate",
          requestedAt: "2025-06-08T12:06:00.000Z",
          outcome: "terminated",
          releasedAt: "2025-06-08T12:07:30.000Z",
        },
      },
    });

    expect(cellOf(released, "leaseEndsAt")).toBe("2025-06-08T12:06:00.000Z");
    expect(cellOf(released, "releasedAt")).toBe("2025-06-08T12:07:30.000Z");
  });

  it("writes a lease without an end as none, and leaves both empty before the lease starts", () => {
    expect(cellOf(request({ status: "PROVISIONED", leaseEndsAt: null }), "leaseEndsAt")).toBe("none");
    expect(cellOf(request({ status: "APPROVED" }), "leaseEndsAt")).toBe("");
    expect(cellOf(request({ status: "APPROVED" }), "releasedAt")).toBe("");
  });

  it("says why a request was rejected", () => {
    const rejected = request({
      status: "REJECTED",
      decision: {
        outcome: "REJECTED",
        approver: "approver@example.com",
        reason: "Too expensive",
        decidedAt: "2025-06-01T12:05:00.000Z",
      },
    });

    expect(cellOf(rejected, "decisionReason")).toBe("Too expensive");
  });

  it("says why a launch failed", () => {
    const failed = request({ status: "FAILED", failureReason: "Instance terminated before it ran" });

    expect(cellOf(failed, "failureReason")).toBe("Instance terminated before it ran");
  });

  it("says why a request is invalid, each field with its problem", () => {
    const invalid = request({
      status: "INVALID",
      fieldErrors: [
        { field: "requester.email", message: "must be an email address" },
        { field: "resource.os", message: "is required" },
        { field: "", message: "and 3 more problems" },
      ],
    });

    expect(cellOf(invalid, "invalidFields")).toBe(
      "requester.email must be an email address; resource.os is required; and 3 more problems",
    );
  });

  it("keeps reasons that a spreadsheet would run as formulas as text", () => {
    const hostile = request({
      status: "INVALID",
      failureReason: "=cmd|' /C calc'!A0",
      fieldErrors: [{ field: "@SUM(A1)", message: "is not a recognised field" }],
    });

    expect(cellOf(hostile, "failureReason")).toBe("'=cmd|' /C calc'!A0");
    expect(cellOf(hostile, "invalidFields")).toBe("'@SUM(A1) is not a recognised field");
  });

  it("quotes commas, quotes and line breaks", () => {
    expect(csvCell('a, "b"\nc')).toBe('"a, ""b""\nc"');
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell(42)).toBe("42");
    expect(csvCell(undefined)).toBe("");
  });

  it("keeps cells that a spreadsheet would run as formulas as text", () => {
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-1")).toBe("'-1");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
  });
});
