import { describe, expect, it } from "vitest";
import {
  sampleBucketRequest,
  sampleDatabaseEstimate,
  sampleDatabaseRequest,
  sampleRequest,
  sampleUnknownBucketEstimate,
} from "../../test/support/fixtures.ts";
import { formatUtc, renderTime, requestSummaryRows } from "./request-summary.ts";

describe("formatUtc", () => {
  it("shows an ISO timestamp as weekday, date and minute in UTC", () => {
    expect(formatUtc("2030-01-04T09:05:59.999Z")).toBe("Fri, 4 Jan 2030, 09:05 UTC");
  });

  it("shows a moment given in another offset in UTC", () => {
    expect(formatUtc(new Date("2026-12-01T15:05:00+01:00"))).toBe("Tue, 1 Dec 2026, 14:05 UTC");
  });
});

describe("renderTime", () => {
  it("keeps the machine-readable moment beside the readable one", () => {
    expect(renderTime("2026-12-01T14:05:00.000Z").value).toBe(
      '<time datetime="2026-12-01T14:05:00.000Z">Tue, 1 Dec 2026, 14:05 UTC</time>',
    );
  });
});

describe("requestSummaryRows", () => {
  it("gives every detail of a full request, one row each", () => {
    expect(requestSummaryRows(sampleRequest())).toEqual([
      { label: "Request id", value: "req-1" },
      { label: "Requester", value: "Ana <ana@example.com>" },
      { label: "Resource", value: "EC2 t3.micro (amazon-linux-2023)" },
      { label: "Name", value: "build-box" },
      { label: "Volume", value: "20 GiB gp3" },
      { label: "Requested private IP", value: "10.0.1.25" },
      { label: "Subnet", value: "subnet-0abc1234" },
      { label: "Justification", value: "Nightly builds" },
    ]);
  });

  it("leaves out what the request does not ask for", () => {
    const request = sampleRequest({
      requester: { email: "bo@example.com" },
      resource: { type: "ec2", instanceType: "t4g.micro", os: "ubuntu-24.04" },
    });

    expect(requestSummaryRows(request)).toEqual([
      { label: "Request id", value: "req-1" },
      { label: "Requester", value: "bo@example.com" },
      { label: "Resource", value: "EC2 t4g.micro (ubuntu-24.04)" },
      { label: "Justification", value: "Nightly builds" },
    ]);
  });

  it("gives a database's engine, class, storage and availability, its region and its estimated cost", () => {
    const request = sampleDatabaseRequest({ region: "eu-west-1", ...sampleDatabaseEstimate() });

    expect(requestSummaryRows(request)).toEqual([
      { label: "Request id", value: "req-db-1" },
      { label: "Requester", value: "Ana <ana@example.com>" },
      { label: "Resource", value: "RDS PostgreSQL 16.8 db.t4g.micro" },
      { label: "Name", value: "orders" },
      { label: "Database name", value: "orders" },
      { label: "Storage", value: "20 GiB gp3" },
      { label: "Availability", value: "Single-AZ" },
      { label: "Backups", value: "kept 7 days" },
      { label: "Region", value: "eu-west-1" },
      {
        label: "Estimated cost",
        value:
          "$13.98 a month: 730 hours of db.t4g.micro (PostgreSQL, Single-AZ) at $0.016 an hour = $11.68; " +
          "20 GiB-months of gp3 storage at $0.115 a GiB-month = $2.30; us-east-1 prices as of 2026-12-07",
      },
      { label: "Justification", value: "Orders service database" },
    ]);
  });

  it("gives a bucket's settings, and an estimate whose price is unknown as unknown", () => {
    const request = sampleBucketRequest(sampleUnknownBucketEstimate());

    expect(requestSummaryRows(request)).toEqual([
      { label: "Request id", value: "req-bucket-1" },
      { label: "Requester", value: "Ana <ana@example.com>" },
      { label: "Resource", value: "S3 bucket approvals-team-logs" },
      { label: "Versioning", value: "on" },
      { label: "Encryption", value: "SSE-S3 (keys managed by S3)" },
      { label: "Objects expire", value: "never" },
      { label: "Access", value: "public access blocked; TLS only" },
      { label: "Region", value: "us-east-1" },
      {
        label: "Estimated cost",
        value:
          "unknown: 0 GiB-months of S3 Standard storage at an unknown price (the Price List API did not answer); us-east-1 prices as of 2026-12-07; S3 bills stored data, requests and transfer by use",
      },
      { label: "Justification", value: "Build logs" },
    ]);
  });
});
