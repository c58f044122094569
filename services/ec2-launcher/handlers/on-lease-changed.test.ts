import "../../../test/support/service-environment.ts";
import { CreateTagsCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Ec2LeaseEnd, ec2LeaseEndSchema } from "../release.ts";
import { ec2Error, newInstanceId, STACK_REGION, startLauncherTestbed } from "../testing/fixtures.ts";
import { ec2RequestOf } from "../testing/requests.ts";
import { createLeaseChangedHandler } from "./on-lease-changed.ts";

const OTHER_REGION = "eu-west-1";
const FIRST_END = "2030-01-08T10:00:05.000Z";
const EXTENDED_END = "2030-01-15T10:00:05.000Z";

/** `LeaseStarted` of the instance, ending at `endsAt` (null: no end). */
const leaseStarted = (requestId: string, instanceId: string, endsAt: string | null, region = STACK_REGION) =>
  ec2LeaseEndSchema.parse({
    requestId,
    request: ec2RequestOf({ requestId }),
    resource: { type: "ec2", instanceId, region },
    terms: { duration: endsAt ? "P7D" : null, onEnd: "terminate", max: endsAt ? "P30D" : null },
    startedAt: "2030-01-01T10:00:05.000Z",
    endsAt,
  });

/** `LeaseExtended` of the instance, from the first end to `endsAt`. */
const leaseExtended = (requestId: string, instanceId: string, endsAt: string) =>
  ec2LeaseEndSchema.parse({
    requestId,
    request: ec2RequestOf({ requestId }),
    resource: { type: "ec2", instanceId, region: STACK_REGION },
    extension: { n: 1, from: FIRST_END, until: endsAt, justification: "The migration runs late" },
    previousEndsAt: FIRST_END,
    endsAt,
    decider: "bob@example.com",
    extendedAt: "2030-01-07T09:00:00.000Z",
  });

describe("ec2-launcher on LeaseStarted and LeaseExtended", () => {
  let testbed: Awaited<ReturnType<typeof startLauncherTestbed>>;
  beforeAll(async () => {
    testbed = await startLauncherTestbed();
  });
  afterAll(() => testbed.close());
  beforeEach(() => {
    testbed.resetEc2();
    for (const region of [STACK_REGION, OTHER_REGION])
      testbed.ec2MockIn(region).on(CreateTagsCommand).resolves({});
  });

  const setUp = () => createLeaseChangedHandler(testbed.freshDeps().deps);

  /** The tags put on instances in the region, call by call. */
  const taggedIn = (region = STACK_REGION) =>
    testbed
      .ec2MockIn(region)
      .commandCalls(CreateTagsCommand)
      .map((call) => call.args[0].input);

  it("tags the instance ExpiresAt with the lease's end, in the instance's region", async () => {
    const onLease = setUp();
    const instanceId = newInstanceId();

    await onLease(leaseStarted("starts", instanceId, FIRST_END, OTHER_REGION));

    expect(taggedIn(OTHER_REGION)).toEqual([
      { Resources: [instanceId], Tags: [{ Key: "ExpiresAt", Value: FIRST_END }] },
    ]);
    expect(taggedIn()).toEqual([]);
  });

  it("tags `never` on the instance of a lease without an end", async () => {
    const onLease = setUp();
    const instanceId = newInstanceId();

    await onLease(leaseStarted("no-end", instanceId, null));

    expect(taggedIn()).toEqual([{ Resources: [instanceId], Tags: [{ Key: "ExpiresAt", Value: "never" }] }]);
  });

  it("moves the tag to the extended end, and never back to an older end delivered late", async () => {
    const onLease = setUp();
    const instanceId = newInstanceId();
    const deliveries: Ec2LeaseEnd[] = [
      leaseStarted("extended", instanceId, FIRST_END),
      leaseExtended("extended", instanceId, EXTENDED_END),
      leaseStarted("extended", instanceId, FIRST_END),
      leaseExtended("extended", instanceId, EXTENDED_END),
    ];

    for (const delivery of deliveries) await onLease(delivery);

    expect(taggedIn().map((input) => input.Tags?.[0]?.Value)).toEqual([
      FIRST_END,
      EXTENDED_END,
      EXTENDED_END,
    ]);
  });

  it("throws for the bus to retry when EC2 refuses the tag, and tags on the retry", async () => {
    const onLease = setUp();
    const instanceId = newInstanceId();
    testbed.ec2Mock.on(CreateTagsCommand).rejectsOnce(ec2Error("RequestLimitExceeded")).resolves({});
    const started = leaseStarted("throttled", instanceId, FIRST_END);

    await expect(onLease(started)).rejects.toMatchObject({ name: "RequestLimitExceeded" });
    await onLease(started);

    expect(taggedIn().map((input) => input.Tags?.[0]?.Value)).toEqual([FIRST_END, FIRST_END]);
  });
});
