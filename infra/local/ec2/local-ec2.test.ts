import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { waitUntil } from "../../../test/support/wait.ts";
import {
  Ec2Error,
  Ec2StateFileError,
  FAILING_IMAGE_ID,
  type InstanceStateName,
  LocalEc2,
  type LocalEc2Options,
  localImageIdOf,
  type RunInstancesInput,
} from "./local-ec2.ts";

const IMAGE_ID = "ami-0123456789abcdef0";
const launch = (overrides: Partial<RunInstancesInput> = {}): RunInstancesInput => ({
  imageId: IMAGE_ID,
  minCount: 1,
  maxCount: 1,
  ...overrides,
});

let dataDir: string;
const opened: LocalEc2[] = [];

const openEc2 = (options: Partial<LocalEc2Options> = {}) => {
  const changes: [string, InstanceStateName][] = [];
  const ec2 = new LocalEc2({
    dataDir,
    bootDelayMs: 20,
    shutdownDelayMs: 20,
    onStateChange: (instanceId, state) => {
      changes.push([instanceId, state]);
    },
    ...options,
  });
  opened.push(ec2);
  return { ec2, changes };
};

const launchedId = async (ec2: LocalEc2, input = launch()) => {
  const reservation = await ec2.runInstances(input);
  return reservation.instances[0]?.instanceId as string;
};

const stateOf = (ec2: LocalEc2, instanceId: string) =>
  ec2.describeInstances({ instanceIds: [instanceId] })[0]?.instances[0]?.state;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "local-ec2-"));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((ec2) => ec2.close()));
  await rm(dataDir, { recursive: true, force: true });
});

describe("LocalEc2 launches", () => {
  it("a pending instance with AWS-shaped ids, a private IP in 10.0.0.0/16 and a root volume", async () => {
    const { ec2 } = openEc2({ bootDelayMs: 60_000 });

    const reservation = await ec2.runInstances(launch({ instanceType: "t3.micro" }));

    const [instance] = reservation.instances;
    expect(reservation.reservationId).toMatch(/^r-[0-9a-f]{17}$/);
    expect(instance).toMatchObject({ state: "pending", instanceType: "t3.micro", imageId: IMAGE_ID });
    expect(instance?.instanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(instance?.privateIpAddress).toMatch(/^10\.0\.\d{1,3}\.\d{1,3}$/);
    expect(instance?.volumes).toEqual([
      expect.objectContaining({
        deviceName: "/dev/xvda",
        size: 8,
        volumeId: expect.stringMatching(/^vol-[0-9a-f]{17}$/),
      }),
    ]);
  });

  it("resolves a resolve:ssm: image, as AWS does, to one stable AMI per parameter, recorded on the instance", async () => {
    const { ec2 } = openEc2({ bootDelayMs: 60_000 });
    const parameter = "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id";
    const imageOf = async (imageId: string) =>
      (await ec2.runInstances(launch({ imageId }))).instances[0]?.imageId;

    const first = await imageOf(`resolve:ssm:${parameter}`);
    const again = await imageOf(`resolve:ssm:${parameter}`);
    const byVersion = await imageOf(`resolve:ssm:${parameter}:3`);
    const other = await imageOf(
      "resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
    );

    expect(first).toMatch(/^ami-[0-9a-f]{17}$/);
    expect(first).toBe(localImageIdOf(parameter));
    expect([again, byVersion]).toEqual([first, first]);
    expect(other).not.toBe(first);
    expect(
      ec2.describeInstances({ filters: [{ name: "image-id", values: [first as string] }] }),
    ).toHaveLength(3);
  });

  it("refuses a private IP already used in the same subnet, and accepts it in another", async () => {
    const { ec2 } = openEc2();
    await ec2.runInstances(launch({ subnetId: "subnet-0abc1234", privateIpAddress: "10.0.1.25" }));

    await expect(
      ec2.runInstances(launch({ subnetId: "subnet-0abc1234", privateIpAddress: "10.0.1.25" })),
    ).rejects.toMatchObject({
      code: "InvalidIPAddress.InUse",
    });
    await expect(
      ec2.runInstances(launch({ subnetId: "subnet-0def5678", privateIpAddress: "10.0.1.25" })),
    ).resolves.toBeDefined();
  });

  it.each<[string, Partial<RunInstancesInput>, string]>([
    ["a malformed image id", { imageId: "ami-xyz" }, "InvalidAMIID.Malformed"],
    ["an SSM image reference without a parameter", { imageId: "resolve:ssm:" }, "InvalidParameterValue"],
    [
      "an SSM image reference to a path not rooted at /",
      { imageId: "resolve:ssm:aws/service/ami-windows-latest/x" },
      "InvalidParameterValue",
    ],
    [
      "an SSM image reference with a space in its parameter",
      { imageId: "resolve:ssm:/golden ami" },
      "InvalidParameterValue",
    ],
    ["a malformed instance type", { instanceType: "huge" }, "InvalidParameterValue"],
    ["MinCount 0", { minCount: 0 }, "InvalidParameterValue"],
    ["MinCount above MaxCount", { minCount: 1, maxCount: 0 }, "InvalidParameterValue"],
    ["MaxCount 2", { maxCount: 2 }, "InstanceLimitExceeded"],
    ["a malformed subnet id", { subnetId: "subnet-0abc" }, "InvalidSubnetID.Malformed"],
    ["an IP that is not IPv4", { privateIpAddress: "10.0.1.256" }, "InvalidParameterValue"],
    ["a client token over 64 characters", { clientToken: "x".repeat(65) }, "InvalidParameterValue"],
    [
      "a volume below its type's minimum",
      { blockDeviceMappings: [{ deviceName: "/dev/xvdb", ebs: { volumeSize: 10, volumeType: "st1" } }] },
      "InvalidParameterValue",
    ],
    [
      "an unknown volume type",
      { blockDeviceMappings: [{ deviceName: "/dev/xvdb", ebs: { volumeType: "fast" } }] },
      "InvalidParameterValue",
    ],
    [
      "a mapping without a device name",
      { blockDeviceMappings: [{ ebs: { volumeSize: 20 } }] },
      "MissingParameter",
    ],
    [
      "a mapping without EBS",
      { blockDeviceMappings: [{ deviceName: "/dev/xvdb" }] },
      "InvalidParameterValue",
    ],
    [
      "tags for a resource type it cannot tag",
      { tagSpecifications: [{ resourceType: "image", tags: [] }] },
      "InvalidParameterValue",
    ],
    [
      "a reserved tag key",
      { tagSpecifications: [{ resourceType: "instance", tags: [{ key: "aws:owner", value: "x" }] }] },
      "InvalidParameterValue",
    ],
    [
      "a duplicate tag key",
      { tagSpecifications: [{ resourceType: "instance", tags: [{ key: "a" }, { key: "a" }] }] },
      "InvalidParameterValue",
    ],
    [
      "a tag value with a control character",
      { tagSpecifications: [{ resourceType: "volume", tags: [{ key: "a", value: "\u0001" }] }] },
      "InvalidParameterValue",
    ],
    [
      "51 tags",
      {
        tagSpecifications: [
          {
            resourceType: "instance",
            tags: Array.from({ length: 51 }, (_, index) => ({ key: `k${index}` })),
          },
        ],
      },
      "TagLimitExceeded",
    ],
  ])("refuses %s with %s", async (_, overrides, code) => {
    const { ec2 } = openEc2();

    const attempt = ec2.runInstances(launch(overrides));

    await expect(attempt).rejects.toBeInstanceOf(Ec2Error);
    await expect(attempt).rejects.toMatchObject({ code });
    expect(ec2.describeInstances()).toEqual([]);
  });

  it("attaches up to 128 volumes, the most any instance type takes, and refuses one more with AttachmentLimitExceeded", async () => {
    const { ec2 } = openEc2();
    const dataVolumes = (count: number) =>
      Array.from({ length: count }, (_, index) => ({ deviceName: `/dev/data${index}`, ebs: {} }));

    const largest = await ec2.runInstances(launch({ blockDeviceMappings: dataVolumes(127) }));
    const oneMore = ec2.runInstances(launch({ blockDeviceMappings: dataVolumes(128) }));

    expect(largest.instances[0]?.volumes).toHaveLength(128);
    await expect(oneMore).rejects.toMatchObject({ code: "AttachmentLimitExceeded" });
  });

  it("tags the instance and every volume, the root volume included, from their own specifications", async () => {
    const { ec2 } = openEc2();

    const instanceId = await launchedId(
      ec2,
      launch({
        blockDeviceMappings: [{ deviceName: "/dev/xvdb", ebs: { volumeSize: 125, volumeType: "st1" } }],
        tagSpecifications: [
          { resourceType: "instance", tags: [{ key: "Name", value: "build-box" }] },
          { resourceType: "volume", tags: [{ key: "RequestId", value: "req-1" }] },
        ],
      }),
    );

    expect(ec2.describeInstances({ instanceIds: [instanceId] })[0]?.instances[0]?.tags).toEqual([
      { key: "Name", value: "build-box" },
    ]);
    expect(
      ec2.describeVolumes({ filters: [{ name: "attachment.instance-id", values: [instanceId] }] }),
    ).toEqual([
      expect.objectContaining({
        deviceName: "/dev/xvda",
        size: 8,
        tags: [{ key: "RequestId", value: "req-1" }],
      }),
      expect.objectContaining({
        deviceName: "/dev/xvdb",
        size: 125,
        volumeType: "st1",
        tags: [{ key: "RequestId", value: "req-1" }],
      }),
    ]);
  });
});

describe("LocalEc2 ClientToken", () => {
  it("treats a reordered tag list as other parameters, as AWS compares the request as sent", async () => {
    const { ec2 } = openEc2();
    const tags = [
      { key: "a", value: "1" },
      { key: "b", value: "2" },
    ];
    await ec2.runInstances(
      launch({ clientToken: "token-1", tagSpecifications: [{ resourceType: "instance", tags }] }),
    );

    const reordered = ec2.runInstances(
      launch({
        clientToken: "token-1",
        tagSpecifications: [{ resourceType: "instance", tags: tags.toReversed() }],
      }),
    );

    await expect(reordered).rejects.toMatchObject({ code: "IdempotentParameterMismatch" });
  });

  it("returns the earlier launch even after a restart, with its current state", async () => {
    const first = openEc2();
    const instanceId = await launchedId(first.ec2, launch({ clientToken: "token-1" }));
    await waitUntil(() => expect(stateOf(first.ec2, instanceId)).toBe("running"));
    await first.ec2.close();
    const { ec2 } = openEc2();

    const retried = await ec2.runInstances(launch({ clientToken: "token-1" }));

    expect(retried.instances).toEqual([expect.objectContaining({ instanceId, state: "running" })]);
    expect(ec2.describeInstances()).toHaveLength(1);
  });
});

describe("LocalEc2 lifecycle", () => {
  it("takes an instance of the failing image from pending straight to terminated, with AWS's reason", async () => {
    const { ec2, changes } = openEc2();

    const instanceId = await launchedId(ec2, launch({ imageId: FAILING_IMAGE_ID }));

    await waitUntil(() => expect(changes).toHaveLength(2));
    expect(changes).toEqual([
      [instanceId, "pending"],
      [instanceId, "terminated"],
    ]);
    expect(ec2.describeInstances({ instanceIds: [instanceId] })[0]?.instances[0]?.stateReason).toEqual({
      code: "Server.InternalError",
      message: "Server.InternalError: Internal error on launch",
    });
  });

  it("terminates a pending instance without it ever running", async () => {
    const { ec2, changes } = openEc2({ bootDelayMs: 60_000 });
    const instanceId = await launchedId(ec2);

    const [change] = await ec2.terminateInstances([instanceId]);

    expect(change).toEqual({ instanceId, previousState: "pending", currentState: "shutting-down" });
    await waitUntil(() => expect(stateOf(ec2, instanceId)).toBe("terminated"));
    await waitUntil(() => expect(changes).toHaveLength(3));
    expect(changes.map(([, state]) => state)).toEqual(["pending", "shutting-down", "terminated"]);
  });

  it("answers a second termination with the current state and reports nothing new", async () => {
    const { ec2, changes } = openEc2();
    const instanceId = await launchedId(ec2);
    await ec2.terminateInstances([instanceId]);
    await waitUntil(() => expect(changes.at(-1)).toEqual([instanceId, "terminated"]));
    const reported = changes.length;

    const [change] = await ec2.terminateInstances([instanceId]);

    expect(change).toEqual({ instanceId, previousState: "terminated", currentState: "terminated" });
    expect(changes).toHaveLength(reported);
  });

  it("keeps reporting a change until the listener accepts it, without skipping or reordering", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    let runningRefused = false;
    const accepted: InstanceStateName[] = [];
    const { ec2 } = openEc2({
      onStateChange: (_, state) => {
        if (state === "running" && !runningRefused) {
          runningRefused = true;
          throw new Error("bus unavailable");
        }
        accepted.push(state);
      },
    });

    await launchedId(ec2);

    await waitUntil(() => expect(accepted).toEqual(["pending", "running"]));
  });

  it("after a restart, reports the changes the previous run recorded but could not report", async () => {
    const first = openEc2({ onStateChange: () => new Promise<void>(() => undefined) });
    const instanceId = await launchedId(first.ec2);
    await first.ec2.close();

    const { changes } = openEc2();

    await waitUntil(() =>
      expect(changes).toEqual([
        [instanceId, "pending"],
        [instanceId, "running"],
      ]),
    );
  });
});

describe("LocalEc2 describe", () => {
  it("combines filters with AND, a filter's values with OR, and understands wildcards", async () => {
    const { ec2 } = openEc2({ bootDelayMs: 60_000 });
    const tagged = (requestId: string, team: string) =>
      launch({
        tagSpecifications: [
          {
            resourceType: "instance",
            tags: [
              { key: "RequestId", value: requestId },
              { key: "Team", value: team },
            ],
          },
        ],
      });
    const alpha = await launchedId(ec2, tagged("req-alpha", "web"));
    const beta = await launchedId(ec2, tagged("req-beta", "data"));
    await launchedId(ec2, tagged("other", "web"));

    const ids = (filters: { name: string; values: string[] }[]) =>
      ec2
        .describeInstances({ filters })
        .flatMap((reservation) => reservation.instances.map((instance) => instance.instanceId));

    expect(ids([{ name: "tag:RequestId", values: ["req-*"] }])).toEqual([alpha, beta]);
    expect(ids([{ name: "tag:RequestId", values: ["req-?lpha", "req-beta"] }])).toEqual([alpha, beta]);
    expect(
      ids([
        { name: "tag:RequestId", values: ["req-*"] },
        { name: "tag:Team", values: ["web"] },
      ]),
    ).toEqual([alpha]);
    expect(ids([{ name: "instance-state-name", values: ["running"] }])).toEqual([]);
    expect(
      ids([
        { name: "tag-key", values: ["Team"] },
        { name: "instance-id", values: [beta] },
      ]),
    ).toEqual([beta]);
  });

  it.each([
    ["*", "", true],
    ["a*c", "abbbc", true],
    ["a*c", "abd", false],
    ["*ab", "aab", true],
    ["a*b*c", "axbxbxc", true],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["a?c", "abbc", false],
    ["*?", "", false],
    ["*?", "x", true],
    ["ABC", "abc", false],
    ["a.c", "abc", false],
    ["(a)+[b]", "(a)+[b]", true],
    ["a\\*c", "a*c", true],
    ["a\\*c", "abc", false],
    ["a\\?c", "a?c", true],
    ["a\\?c", "abc", false],
    ["a\\\\*", "a\\bc", true],
    ["a\\\\*", "abc", false],
    ["a\\b", "a\\b", true],
    ["a\\", "a\\", true],
  ])("matches the filter value %j against the tag value %j: %s", async (pattern, value, expected) => {
    const { ec2 } = openEc2({ bootDelayMs: 60_000 });
    const instanceId = await launchedId(
      ec2,
      launch({ tagSpecifications: [{ resourceType: "instance", tags: [{ key: "k", value }] }] }),
    );

    const found = ec2.describeInstances({ filters: [{ name: "tag:k", values: [pattern] }] });

    expect(found.map((reservation) => reservation.instances[0]?.instanceId)).toEqual(
      expected ? [instanceId] : [],
    );
  });

  it("answers a filter value with many stars against a long tag value, matching or not", async () => {
    const { ec2 } = openEc2({ bootDelayMs: 60_000 });
    const tagged = (value: string) =>
      launch({ tagSpecifications: [{ resourceType: "instance", tags: [{ key: "k", value }] }] });
    await launchedId(ec2, tagged("a".repeat(200)));
    const endsInB = await launchedId(ec2, tagged(`${"a".repeat(199)}b`));

    const found = ec2.describeInstances({ filters: [{ name: "tag:k", values: ["*a*a*a*a*a*b"] }] });

    expect(found.map((reservation) => reservation.instances[0]?.instanceId)).toEqual([endsInB]);
  });

  it.each([
    ["an unknown filter", { filters: [{ name: "colour", values: ["red"] }] }, "InvalidParameterValue"],
    [
      "a filter named like an object property",
      { filters: [{ name: "constructor", values: ["x"] }] },
      "InvalidParameterValue",
    ],
    ["a filter without values", { filters: [{ name: "instance-id", values: [] }] }, "InvalidParameterValue"],
    ["a malformed instance id", { instanceIds: ["i-xyz"] }, "InvalidInstanceID.Malformed"],
    ["an unknown instance id", { instanceIds: ["i-0123456789abcdef0"] }, "InvalidInstanceID.NotFound"],
  ])("refuses %s with %s", (_, query, code) => {
    const { ec2 } = openEc2();

    expect(() => ec2.describeInstances(query)).toThrow(expect.objectContaining({ code }));
  });

  it("no longer lists the volumes of a terminated instance", async () => {
    const { ec2 } = openEc2();
    const instanceId = await launchedId(ec2);
    const [rootVolume] = ec2.describeVolumes();
    await ec2.terminateInstances([instanceId]);
    await waitUntil(() => expect(stateOf(ec2, instanceId)).toBe("terminated"));

    expect(ec2.describeVolumes()).toEqual([]);
    expect(() => ec2.describeVolumes({ volumeIds: [rootVolume?.volumeId as string] })).toThrow(
      expect.objectContaining({ code: "InvalidVolume.NotFound" }),
    );
  });
});

describe("LocalEc2 state file", () => {
  it("holds every instance once a call returns, and no temporary file once closed", async () => {
    const { ec2 } = openEc2({ bootDelayMs: 60_000 });

    const instanceId = await launchedId(ec2);

    const state = JSON.parse(await readFile(join(dataDir, "ec2", "state.json"), "utf8"));
    expect(state.instances).toEqual([expect.objectContaining({ instanceId, state: "pending" })]);
    await ec2.close();
    expect(await readdir(join(dataDir, "ec2"))).toEqual(["state.json"]);
  });

  it("refuses to start from a corrupt state file rather than forgetting its instances", async () => {
    openEc2();
    await writeFile(join(dataDir, "ec2", "state.json"), "{ not json");

    expect(() => openEc2()).toThrow(Ec2StateFileError);
  });
});
