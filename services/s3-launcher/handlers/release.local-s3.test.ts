import "../../../test/support/service-environment.ts";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketTaggingCommand,
  HeadBucketCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAUNCHER_SOURCES } from "../../../events/launched-resource.ts";
import { ReleaseCheckDue, ReleaseFailed, ResourceReleased } from "../../../events/lease-events.ts";
import { TEST_SERVICES_PRINCIPAL } from "../../../test/support/local-events.ts";
import { type BucketLeaseChange, bucketLeaseChangeSchema } from "../domain.ts";
import { approvalOf, FIXED_NOW, releaseOf, startLocalS3Testbed } from "../testing/fixtures.ts";
import { createLeaseChangedHandler } from "./on-lease-changed.ts";
import { createReleaseCheckHandler } from "./on-release-check.ts";
import { createReleaseRequestedHandler } from "./on-release-requested.ts";
import { createRequestApprovedHandler } from "./on-request-approved.ts";

const REGION = "eu-west-1";

/** A LeaseStarted (or, with `extended`, a LeaseExtended) of the bucket of `releaseOf(requestId)`, ending at `endsAt`. */
const leaseChangeOf = (requestId: string, endsAt: string | null, extended = false): BucketLeaseChange => {
  const { request, resource } = releaseOf(requestId, REGION);
  return bucketLeaseChangeSchema.parse(
    extended
      ? {
          requestId,
          request,
          resource,
          extension: { n: 1, from: "2030-01-08T10:00:00.000Z", until: endsAt, justification: "More logs" },
          previousEndsAt: "2030-01-08T10:00:00.000Z",
          endsAt,
          decider: "policy:default",
          extendedAt: "2030-01-07T10:00:00.000Z",
        }
      : {
          requestId,
          request,
          resource,
          terms: { duration: endsAt ? "P7D" : null, onEnd: "delete-if-empty", max: endsAt ? "P90D" : null },
          startedAt: "2030-01-01T10:00:00.000Z",
          endsAt,
        },
  );
};

/** The s3-launcher's lease and release handlers against the real local S3: what they do is what S3 then answers. */
describe("s3-launcher's leases and releases, on the local S3", () => {
  let testbed: Awaited<ReturnType<typeof startLocalS3Testbed>>;
  beforeAll(async () => {
    testbed = await startLocalS3Testbed();
  });
  afterAll(() => testbed.close());

  const s3 = () => testbed.clientAs(TEST_SERVICES_PRINCIPAL, REGION);
  /** The request's bucket, provisioned by the launcher as an approval has it. */
  const provisioned = async (requestId: string) => {
    const { deps } = testbed.freshDeps();
    await createRequestApprovedHandler(deps)(approvalOf(requestId, {}, { region: REGION }));
    return `approvals-${requestId}`;
  };
  const setUp = () => {
    const { bus, schedules, deps } = testbed.freshDeps();
    return {
      bus,
      schedules,
      release: createReleaseRequestedHandler(deps),
      check: createReleaseCheckHandler(deps),
      leaseChanged: createLeaseChangedHandler(deps),
    };
  };
  const checkOf = (requestId: string, attempt: number) => ({
    requestId,
    resourceType: "s3" as const,
    attempt,
    dueAt: FIXED_NOW.toISOString(),
  });
  const tagsOf = async (Bucket: string) =>
    Object.fromEntries(
      ((await s3().send(new GetBucketTaggingCommand({ Bucket }))).TagSet ?? []).map((tag) => [
        tag.Key,
        tag.Value,
      ]),
    );

  it("tags the bucket ExpiresAt with the lease's end, keeping its other tags, and moves it when the lease is extended", async () => {
    const Bucket = await provisioned("tagged");
    const { leaseChanged } = setUp();

    await leaseChanged(leaseChangeOf("tagged", "2030-01-08T10:00:00.000Z"));
    await leaseChanged(leaseChangeOf("tagged", "2030-01-15T10:00:00.000Z", true));
    // A start delivered late puts nothing back.
    await leaseChanged(leaseChangeOf("tagged", "2030-01-08T10:00:00.000Z"));

    expect(await tagsOf(Bucket)).toEqual({
      RequestId: "tagged",
      Requester: "ana@example.com",
      Approver: "bob@example.com",
      "approvals:stack": "approvals-test",
      ExpiresAt: "2030-01-15T10:00:00.000Z",
    });
  });

  it("tags a lease with no end `never`", async () => {
    const Bucket = await provisioned("never-ends");

    await setUp().leaseChanged(leaseChangeOf("never-ends", null));

    expect((await tagsOf(Bucket)).ExpiresAt).toBe("never");
  });

  it("deletes an empty bucket at the release, and the reaper's check reports it released once", async () => {
    const Bucket = await provisioned("empty-at-the-end");
    const { bus, schedules, release, check } = setUp();
    const asked = releaseOf("empty-at-the-end", REGION);

    await release(asked);

    await expect(s3().send(new HeadBucketCommand({ Bucket }))).rejects.toMatchObject({ name: "NotFound" });
    expect(bus.published).toEqual([]);
    expect(schedules.made).toMatchObject([
      {
        name: "empty-at-the-end.release-check-1",
        at: new Date(FIXED_NOW.getTime() + 30_000),
        detailType: ReleaseCheckDue.detailType,
        detail: { requestId: "empty-at-the-end", resourceType: "s3", attempt: 1 },
      },
    ]);

    await check(checkOf("empty-at-the-end", 1));
    await check(checkOf("empty-at-the-end", 1));

    expect(bus.published).toEqual([
      {
        detailType: ResourceReleased.detailType,
        source: LAUNCHER_SOURCES.s3,
        detail: {
          requestId: "empty-at-the-end",
          request: asked.request,
          resource: asked.resource,
          action: "delete-if-empty",
          outcome: "deleted",
          reason: "lease-ended",
          releaseRequestedAt: asked.requestedAt,
          releasedAt: FIXED_NOW.toISOString(),
        },
      },
    ]);
  });

  it("keeps a bucket that holds objects, with them, and says so once however often asked", async () => {
    const Bucket = await provisioned("holds-logs");
    await s3().send(new PutObjectCommand({ Bucket, Key: "logs/today.txt", Body: "keep me" }));
    const { bus, schedules, release } = setUp();
    const asked = releaseOf("holds-logs", REGION, {
      reason: "released-by-requester",
      by: { email: "ana@example.com" },
    });

    await release(asked);
    await release(asked);

    await expect(s3().send(new HeadBucketCommand({ Bucket }))).resolves.toBeDefined();
    expect(bus.published).toEqual([
      {
        detailType: ReleaseFailed.detailType,
        source: LAUNCHER_SOURCES.s3,
        detail: {
          requestId: "holds-logs",
          request: asked.request,
          resource: asked.resource,
          action: "delete-if-empty",
          reason: "released-by-requester",
          problem: "the bucket holds objects; it was kept",
          kept: true,
          attempts: 1,
          releaseRequestedAt: asked.requestedAt,
          failedAt: FIXED_NOW.toISOString(),
        },
      },
    ]);
    expect(schedules.made).toEqual([]);
  });

  it("releases a kept bucket asked again once it is emptied: a new release, reported released once", async () => {
    const Bucket = await provisioned("emptied-later");
    await s3().send(new PutObjectCommand({ Bucket, Key: "logs/today.txt", Body: "keep me" }));
    const { bus, release, check } = setUp();
    const first = releaseOf("emptied-later", REGION);
    await release(first);
    // The requester empties the bucket, every version of every object, as the kept-bucket email asks.
    const { Versions = [], DeleteMarkers = [] } = await s3().send(new ListObjectVersionsCommand({ Bucket }));
    for (const { Key, VersionId } of [...Versions, ...DeleteMarkers])
      await s3().send(new DeleteObjectCommand({ Bucket, Key, VersionId }));
    const again = releaseOf("emptied-later", REGION, {
      reason: "released-by-requester",
      by: { email: "ana@example.com" },
      requestedAt: "2030-01-09T10:00:00.000Z",
    });

    await release(again);
    await release(again);
    await release(first);
    await check(checkOf("emptied-later", 1));
    await check(checkOf("emptied-later", 1));

    await expect(s3().send(new HeadBucketCommand({ Bucket }))).rejects.toMatchObject({ name: "NotFound" });
    expect(bus.published.map((event) => event.detailType)).toEqual([
      ReleaseFailed.detailType,
      ResourceReleased.detailType,
    ]);
    expect(bus.detailsOf(ResourceReleased)).toMatchObject([
      { reason: "released-by-requester", by: { email: "ana@example.com" }, outcome: "deleted" },
    ]);
  });

  it("deletes again a bucket a check finds still there and empty, and fails the release after the last check", async () => {
    const Bucket = await provisioned("comes-back");
    const { bus, schedules, release, check } = setUp();
    await release(releaseOf("comes-back", REGION));
    // The bucket made again in the launcher's own account, as if the deletion had not taken.
    const remade = () =>
      s3().send(
        new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }),
      );
    await remade();

    await check(checkOf("comes-back", 1));

    await expect(s3().send(new HeadBucketCommand({ Bucket }))).rejects.toMatchObject({ name: "NotFound" });
    expect(schedules.pending.has("comes-back.release-check-2")).toBe(true);

    await remade();
    await check(checkOf("comes-back", 3));

    expect(bus.detailsOf(ReleaseFailed)).toMatchObject([
      { problem: `Bucket ${Bucket} still exists after 3 checks`, kept: false, attempts: 3 },
    ]);
    expect(bus.detailsOf(ResourceReleased)).toEqual([]);
  });
});
