import "../../../test/support/service-environment.ts";
import {
  DeleteBucketCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ReleaseFailed } from "../../../events/lease-events.ts";
import { releaseOf, s3Error, startLauncherTestbed } from "../testing/fixtures.ts";
import { createReleaseCheckHandler } from "./on-release-check.ts";
import { createReleaseRequestedHandler } from "./on-release-requested.ts";

/** What the local S3 cannot show: a versioned bucket's old versions and delete markers, and S3's races. */
describe("s3-launcher on ReleaseRequested, with S3's answers mocked", () => {
  let testbed: Awaited<ReturnType<typeof startLauncherTestbed>>;
  beforeAll(async () => {
    testbed = await startLauncherTestbed();
  });
  afterAll(() => testbed.close());
  beforeEach(() => testbed.s3Mock.reset());

  const setUp = () => {
    const { bus, schedules, deps } = testbed.freshDeps();
    return {
      bus,
      schedules,
      release: createReleaseRequestedHandler(deps),
      check: createReleaseCheckHandler(deps),
    };
  };
  const deleteCalls = () => testbed.s3Mock.commandCalls(DeleteBucketCommand);

  it.each([
    [
      "only older versions of deleted objects",
      { Versions: [{ Key: "a.txt", VersionId: "v1", IsLatest: false }] },
    ],
    ["only delete markers", { DeleteMarkers: [{ Key: "a.txt", VersionId: "v2", IsLatest: true }] }],
  ])("keeps a versioned bucket that holds %s, asking S3 for one key at most", async (_, versions) => {
    const { bus, release } = setUp();
    testbed.s3Mock.on(ListObjectsV2Command).resolves({ KeyCount: 0 });
    testbed.s3Mock.on(ListObjectVersionsCommand).resolves(versions);

    await release(releaseOf(`versions-${Object.keys(versions)[0]?.toLowerCase()}`));

    expect(bus.detailsOf(ReleaseFailed)).toMatchObject([{ kept: true, attempts: 1 }]);
    expect(deleteCalls()).toEqual([]);
    expect(testbed.s3Mock.commandCalls(ListObjectsV2Command)[0]?.args[0].input.MaxKeys).toBe(1);
    expect(testbed.s3Mock.commandCalls(ListObjectVersionsCommand)[0]?.args[0].input.MaxKeys).toBe(1);
  });

  it("keeps the bucket when an object arrives between the listing and the deletion, which S3 refuses as BucketNotEmpty", async () => {
    const { bus, release } = setUp();
    testbed.s3Mock.on(ListObjectsV2Command).resolves({ KeyCount: 0 });
    testbed.s3Mock.on(ListObjectVersionsCommand).resolves({});
    testbed.s3Mock.on(DeleteBucketCommand).rejects(s3Error("BucketNotEmpty"));

    await release(releaseOf("written-meanwhile"));

    expect(bus.detailsOf(ReleaseFailed)).toMatchObject([
      { kept: true, problem: "the bucket holds objects; it was kept" },
    ]);
  });

  it("keeps a bucket a check finds holding objects by now, rather than deleting it again", async () => {
    const { bus, release, check } = setUp();
    testbed.s3Mock.on(ListObjectsV2Command).resolvesOnce({ KeyCount: 0 }).resolves({ KeyCount: 1 });
    testbed.s3Mock.on(ListObjectVersionsCommand).resolves({});
    testbed.s3Mock.on(DeleteBucketCommand).resolves({});
    testbed.s3Mock.on(HeadBucketCommand).resolves({});
    await release(releaseOf("filled-after-release"));

    await check({
      requestId: "filled-after-release",
      resourceType: "s3",
      attempt: 1,
      dueAt: "2030-01-08T10:00:30.000Z",
    });

    expect(bus.detailsOf(ReleaseFailed)).toMatchObject([{ kept: true, attempts: 1 }]);
    expect(deleteCalls()).toHaveLength(1);
  });

  it("throws for the bus to retry when S3 is slowing it down, deleting nothing", async () => {
    const { release } = setUp();
    const error = s3Error("SlowDown", "server");
    testbed.s3Mock.on(ListObjectsV2Command).rejects(error);

    await expect(release(releaseOf("slowed-down"))).rejects.toBe(error);
    expect(deleteCalls()).toEqual([]);
  });
});
