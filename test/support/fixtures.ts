import { randomUUID } from "node:crypto";
import type { EventContract } from "../../events/contract.ts";
import type { RawEnvelope } from "../../events/envelope.ts";
import type { AcceptedRequest, RequestFor } from "../../events/request.ts";

/** A valid EC2 request as accepted under its id; tests spread over it to change one field at a time. */
export const sampleRequest = (overrides: Partial<AcceptedRequest> = {}): RequestFor<"ec2"> =>
  ({
    requestId: "req-1",
    requester: { email: "ana@example.com", name: "Ana" },
    resource: {
      type: "ec2",
      instanceType: "t3.micro",
      os: "amazon-linux-2023",
      name: "build-box",
      volume: { sizeGiB: 20, type: "gp3" },
      privateIp: "10.0.1.25",
      subnetId: "subnet-0abc1234",
    },
    justification: "Nightly builds",
    ...overrides,
  }) as RequestFor<"ec2">;

/** A valid PostgreSQL database request, with the defaults the schema fills in written out. */
export const sampleDatabaseRequest = (overrides: Partial<AcceptedRequest> = {}): RequestFor<"rds"> =>
  ({
    requestId: "req-db-1",
    requester: { email: "ana@example.com", name: "Ana" },
    resource: {
      type: "rds",
      engine: "postgres",
      engineVersion: "16.8",
      instanceClass: "db.t4g.micro",
      allocatedStorageGiB: 20,
      storageType: "gp3",
      multiAz: false,
      name: "orders",
      databaseName: "orders",
      backupRetentionDays: 7,
    },
    justification: "Orders service database",
    region: "us-east-1",
    ...overrides,
  }) as RequestFor<"rds">;

/** A valid S3 bucket request, with the defaults the schema fills in written out. */
export const sampleBucketRequest = (overrides: Partial<AcceptedRequest> = {}): RequestFor<"s3"> =>
  ({
    requestId: "req-bucket-1",
    requester: { email: "ana@example.com", name: "Ana" },
    resource: { type: "s3", bucketName: "approvals-team-logs", versioning: true, encryption: "sse-s3" },
    justification: "Build logs",
    region: "us-east-1",
    ...overrides,
  }) as RequestFor<"s3">;

/**
 * The estimate of `sampleDatabaseRequest` in us-east-1 as intake settles it: 730 hours of db.t4g.micro
 * and 20 GiB-months of gp3, at made-up prices. Spread into a request.
 */
export const sampleDatabaseEstimate = (): Pick<
  AcceptedRequest,
  "estimatedMonthlyCostUsd" | "costEstimate"
> => ({
  estimatedMonthlyCostUsd: 13.98,
  costEstimate: {
    region: "us-east-1",
    parts: [
      {
        item: "db.t4g.micro (PostgreSQL, Single-AZ)",
        quantity: 730,
        unit: "hours",
        unitPriceUsd: 0.016,
        monthlyUsd: 11.68,
      },
      { item: "gp3 storage", quantity: 20, unit: "GiB-months", unitPriceUsd: 0.115, monthlyUsd: 2.3 },
    ],
    pricesAsOf: "2026-12-07",
  },
});

/** An estimate of `sampleBucketRequest` whose price was not found: its total is unknown (null), never 0. */
export const sampleUnknownBucketEstimate = (): Pick<
  AcceptedRequest,
  "estimatedMonthlyCostUsd" | "costEstimate"
> => ({
  estimatedMonthlyCostUsd: null,
  costEstimate: {
    region: "us-east-1",
    parts: [
      {
        item: "S3 Standard storage",
        quantity: 0,
        unit: "GiB-months",
        unitPriceUsd: null,
        monthlyUsd: null,
        unknownBecause: "the Price List API did not answer",
      },
    ],
    pricesAsOf: "2026-12-07",
    notes: ["S3 bills stored data, requests and transfer by use"],
  },
});

/** The same request as a requester submits it: a `ResourceRequested` detail without an id. */
export const sampleRequestContent = (): Omit<AcceptedRequest, "requestId"> => {
  const { requestId: _id, ...content } = sampleRequest();
  return content;
};

/**
 * An event as EventBridge delivers it. The detail is not checked, so tests can send anything; a fresh
 * id unless one is given.
 */
export const envelopeOf = (
  contract: EventContract,
  detail: unknown,
  overrides: Partial<RawEnvelope> = {},
): RawEnvelope => ({
  version: "0",
  id: randomUUID(),
  "detail-type": contract.detailType,
  source: contract.source,
  account: "000000000000",
  time: "2030-01-01T10:00:00Z",
  region: "us-east-1",
  resources: [],
  detail,
  ...overrides,
});
