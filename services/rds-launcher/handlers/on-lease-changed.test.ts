import "../../../test/support/service-environment.ts";
import { AddTagsToResourceCommand, DescribeDBInstancesCommand } from "@aws-sdk/client-rds";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RdsLeaseChange, rdsLeaseChangeSchema } from "../domain.ts";
import { describedAs, notFoundError, releaseOf, startLauncherTestbed } from "../testing/fixtures.ts";
import { createLeaseChangedHandler } from "./on-lease-changed.ts";

/** A LeaseStarted of the instance of `releaseOf(requestId)`, ending at `endsAt`. */
const leaseStartedOf = (requestId: string, endsAt: string | null): RdsLeaseChange => {
  const { request, resource } = releaseOf(requestId);
  return rdsLeaseChangeSchema.parse({
    requestId,
    request,
    resource,
    terms: { duration: endsAt ? "P7D" : null, onEnd: "snapshot-and-delete", max: endsAt ? "P90D" : null },
    startedAt: "2030-01-01T10:00:00.000Z",
    endsAt,
  });
};

/** A LeaseExtended of the same instance, to `endsAt`. */
const leaseExtendedOf = (requestId: string, endsAt: string): RdsLeaseChange => {
  const { request, resource } = releaseOf(requestId);
  return rdsLeaseChangeSchema.parse({
    requestId,
    request,
    resource,
    extension: {
      n: 1,
      from: "2030-01-08T10:00:00.000Z",
      until: endsAt,
      justification: "Still migrating",
    },
    previousEndsAt: "2030-01-08T10:00:00.000Z",
    endsAt,
    decider: "policy:default",
    extendedAt: "2030-01-07T10:00:00.000Z",
  });
};

describe("rds-launcher on LeaseStarted and LeaseExtended", () => {
  let testbed: Awaited<ReturnType<typeof startLauncherTestbed>>;
  beforeAll(async () => {
    testbed = await startLauncherTestbed();
  });
  afterAll(() => testbed.close());
  beforeEach(() => testbed.rdsMock.reset());

  const handle = (change: RdsLeaseChange) => createLeaseChangedHandler(testbed.freshDeps().deps)(change);
  const tagCalls = () =>
    testbed.rdsMock.commandCalls(AddTagsToResourceCommand).map((call) => call.args[0].input);
  const described = (requestId: string) => {
    const identifier = releaseOf(requestId).resource.dbInstanceIdentifier;
    testbed.rdsMock.on(DescribeDBInstancesCommand).resolves(describedAs(identifier, requestId, "available"));
    return `arn:aws:rds:us-east-1:000000000000:db:${identifier}`;
  };

  it("tags the instance ExpiresAt with the lease's end, by its ARN", async () => {
    const arn = described("lease-starts");
    testbed.rdsMock.on(AddTagsToResourceCommand).resolves({});

    await handle(leaseStartedOf("lease-starts", "2030-01-08T10:00:00.000Z"));

    expect(tagCalls()).toEqual([
      { ResourceName: arn, Tags: [{ Key: "ExpiresAt", Value: "2030-01-08T10:00:00.000Z" }] },
    ]);
  });

  it("tags a lease with no end `never`", async () => {
    described("no-end");
    testbed.rdsMock.on(AddTagsToResourceCommand).resolves({});

    await handle(leaseStartedOf("no-end", null));

    expect(tagCalls()[0]?.Tags).toEqual([{ Key: "ExpiresAt", Value: "never" }]);
  });

  it("moves the tag when the lease is extended, and not back when the start arrives after the extension", async () => {
    described("out-of-order");
    testbed.rdsMock.on(AddTagsToResourceCommand).resolves({});

    await handle(leaseExtendedOf("out-of-order", "2030-01-15T10:00:00.000Z"));
    await handle(leaseStartedOf("out-of-order", "2030-01-08T10:00:00.000Z"));
    await handle(leaseExtendedOf("out-of-order", "2030-01-15T10:00:00.000Z"));

    expect(tagCalls().map((input) => input.Tags?.[0]?.Value)).toEqual([
      "2030-01-15T10:00:00.000Z",
      "2030-01-15T10:00:00.000Z",
    ]);
  });

  it("tags nothing when the instance is gone already", async () => {
    testbed.rdsMock.on(DescribeDBInstancesCommand).rejects(notFoundError());

    await handle(leaseStartedOf("gone-before-tagging", "2030-01-08T10:00:00.000Z"));

    expect(tagCalls()).toEqual([]);
  });

  it("refuses the lease of another resource type", () => {
    const { request } = releaseOf("a-bucket");
    const bucketLease = {
      ...leaseStartedOf("a-bucket", null),
      request,
      resource: { type: "s3", bucketName: "approvals-logs", region: "us-east-1" },
    };

    expect(rdsLeaseChangeSchema.safeParse(bucketLease).success).toBe(false);
  });
});
