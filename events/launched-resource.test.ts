import { describe, expect, it } from "vitest";
import { sampleBucketRequest, sampleDatabaseRequest, sampleRequest } from "../test/support/fixtures.ts";
import { ProvisioningFailed } from "./provisioning-failed.ts";
import { ProvisioningStarted } from "./provisioning-started.ts";
import type { AcceptedRequest } from "./request.ts";
import { ResourceProvisioned } from "./resource-provisioned.ts";
import { fieldErrorsOf } from "./validation.ts";

const at = "2026-12-07T10:00:00.000Z";
const started = (request: AcceptedRequest, named: Record<string, unknown>) => ({
  requestId: request.requestId,
  request,
  approver: "approver@example.com",
  startedAt: at,
  ...named,
});
const problemsOf = (result: { error?: Parameters<typeof fieldErrorsOf>[0] }) =>
  result.error ? fieldErrorsOf(result.error) : [];

describe("the provisioning events name what each launcher created", () => {
  it("ProvisioningStarted names an instance for EC2, a DB instance for RDS and a bucket for S3", () => {
    expect(
      problemsOf(
        ProvisioningStarted.schema.safeParse(started(sampleRequest(), { instanceId: "i-0123456789abcdef0" })),
      ),
    ).toEqual([]);
    expect(
      problemsOf(
        ProvisioningStarted.schema.safeParse(
          started(sampleDatabaseRequest(), { dbInstanceIdentifier: "orders-1a2b3c4d" }),
        ),
      ),
    ).toEqual([]);
    expect(
      problemsOf(
        ProvisioningStarted.schema.safeParse(
          started(sampleBucketRequest(), { bucketName: "approvals-team-logs" }),
        ),
      ),
    ).toEqual([]);
  });

  it("refuses a ProvisioningStarted without its type's name, or with another type's", () => {
    expect(problemsOf(ProvisioningStarted.schema.safeParse(started(sampleDatabaseRequest(), {})))).toEqual([
      { field: "dbInstanceIdentifier", message: "is required for rds requests" },
    ]);
    expect(
      problemsOf(
        ProvisioningStarted.schema.safeParse(
          started(sampleBucketRequest(), {
            bucketName: "approvals-team-logs",
            instanceId: "i-0123456789abcdef0",
          }),
        ),
      ),
    ).toEqual([{ field: "instanceId", message: "must be absent: the request is for s3, not ec2" }]);
  });

  it("ResourceProvisioned carries the database's endpoint and secret, never a password", () => {
    const request = sampleDatabaseRequest();
    const database = {
      identifier: "orders-1a2b3c4d",
      host: "orders-1a2b3c4d.abc.us-east-1.rds.amazonaws.com",
      port: 5432,
      masterUserSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf",
    };
    expect(
      problemsOf(
        ResourceProvisioned.schema.safeParse({
          requestId: request.requestId,
          request,
          database,
          provisionedAt: at,
        }),
      ),
    ).toEqual([]);
    expect(
      problemsOf(
        ResourceProvisioned.schema.safeParse({
          requestId: request.requestId,
          request,
          database: { ...database, password: "x" },
          provisionedAt: at,
        }),
      ),
    ).toEqual([{ field: "database.password", message: "is not a recognised field" }]);
  });

  it("ProvisioningFailed may name nothing created, but never another type's resource", () => {
    const request = sampleBucketRequest();
    const failed = {
      requestId: request.requestId,
      request,
      reason: "The bucket belongs to someone else",
      failedAt: at,
    };
    expect(problemsOf(ProvisioningFailed.schema.safeParse(failed))).toEqual([]);
    expect(
      problemsOf(ProvisioningFailed.schema.safeParse({ ...failed, dbInstanceIdentifier: "orders-1a2b3c4d" })),
    ).toEqual([{ field: "dbInstanceIdentifier", message: "must be absent: the request is for s3, not rds" }]);
  });
});
