import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
  type Filter,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  StartInstancesCommand,
  StopInstancesCommand,
  type Tag,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEc2Api } from "../../infra/local/ec2/ec2-api.ts";
import { type InstanceStateName, LocalEc2, localImageIdOf } from "../../infra/local/ec2/local-ec2.ts";
import { type RunningEdge, startEdge } from "../../infra/local/edge/server.ts";
import { signedHeadersOf } from "../../infra/local/edge/signature.ts";
import { TEST_SERVICES_PRINCIPAL } from "../support/local-events.ts";
import { waitUntil } from "../support/wait.ts";

const IMAGE_ID = "ami-0123456789abcdef0";
/** The stack's own region, the clients' unless a test names another. */
const HOME_REGION = "us-east-1";

interface LocalStack {
  ec2: LocalEc2;
  edge: RunningEdge;
  client: EC2Client;
  /** A client of the stack's edge signing for `region`, destroyed with the stack. */
  clientIn: (region: string) => EC2Client;
  clients: EC2Client[];
  changes: [string, InstanceStateName, string][];
}

let dataDir: string;
let stacks: LocalStack[] = [];

const startStack = async ({ bootDelayMs = 50 } = {}): Promise<LocalStack> => {
  const changes: [string, InstanceStateName, string][] = [];
  const ec2 = new LocalEc2({
    dataDir,
    region: HOME_REGION,
    bootDelayMs,
    shutdownDelayMs: 50,
    onStateChange: (instanceId, state, region) => {
      changes.push([instanceId, state, region]);
    },
  });
  const edge = await startEdge({
    port: 0,
    services: { ec2: createEc2Api(ec2) },
    principals: [TEST_SERVICES_PRINCIPAL],
  });
  const clients: EC2Client[] = [];
  const clientIn = (region: string) => {
    const client = new EC2Client({
      endpoint: edge.url,
      region,
      credentials: TEST_SERVICES_PRINCIPAL,
      maxAttempts: 1,
    });
    clients.push(client);
    return client;
  };
  const client = clientIn(HOME_REGION);
  const stack = { ec2, edge, client, clientIn, changes, clients };
  stacks.push(stack);
  return stack;
};

const stopStack = async ({ clients, edge, ec2 }: LocalStack) => {
  for (const client of clients) client.destroy();
  await edge.close();
  await ec2.close();
};

const launchInput = (overrides: Partial<RunInstancesCommandInput> = {}): RunInstancesCommandInput => ({
  ImageId: IMAGE_ID,
  InstanceType: "t3.micro",
  MinCount: 1,
  MaxCount: 1,
  ...overrides,
});

/** Launches an instance (with these tags, if any) and resolves to its id once it runs. */
const runningInstance = async (client: EC2Client, tags: Tag[] = []) => {
  const { Instances } = await client.send(
    new RunInstancesCommand(
      launchInput(tags.length > 0 ? { TagSpecifications: [{ ResourceType: "instance", Tags: tags }] } : {}),
    ),
  );
  const instanceId = Instances?.[0]?.InstanceId as string;
  await waitUntil(async () => expect(await stateOf(client, instanceId)).toBe("running"));
  return instanceId;
};

const describeIds = async (client: EC2Client, filters: Filter[]) => {
  const { Reservations = [] } = await client.send(new DescribeInstancesCommand({ Filters: filters }));
  return Reservations.flatMap((reservation) => reservation.Instances ?? []).map(
    (instance) => instance.InstanceId,
  );
};

const stateOf = async (client: EC2Client, instanceId: string) => {
  const { Reservations } = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return Reservations?.[0]?.Instances?.[0]?.State?.Name;
};

/** Sends a request the SDKs cannot produce, signed in form only: the edge routes by credential scope. */
/** A body no SDK would send, signed as the stack's services (the only callers of EC2) so that it reaches it. */
const postRaw = async (edge: RunningEdge, body: string | Uint8Array<ArrayBuffer>) => {
  const url = new URL(edge.url);
  const { host: _, ...headers } = await signedHeadersOf(
    TEST_SERVICES_PRINCIPAL,
    { method: "POST", url, headers: { "content-type": "application/x-www-form-urlencoded" }, body },
    { region: "us-east-1", service: "ec2" },
  );
  return fetch(url, { method: "POST", headers, body });
};

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "ec2-sdk-"));
});

afterEach(async () => {
  await Promise.all(stacks.map(stopStack));
  stacks = [];
  await rm(dataDir, { recursive: true, force: true });
});

describe("EC2 RunInstances through @aws-sdk/client-ec2", () => {
  it("launches with every supported parameter and answers with AWS's reservation", async () => {
    const { client } = await startStack();

    const reservation = await client.send(
      new RunInstancesCommand(
        launchInput({
          SubnetId: "subnet-0abc1234",
          PrivateIpAddress: "10.0.1.25",
          ClientToken: "req-1",
          BlockDeviceMappings: [{ DeviceName: "/dev/xvdb", Ebs: { VolumeSize: 20, VolumeType: "gp3" } }],
          TagSpecifications: [
            {
              ResourceType: "instance",
              Tags: [
                { Key: "Name", Value: "build-box <ana's & bob's>" },
                { Key: "RequestId", Value: "req-1" },
              ],
            },
            { ResourceType: "volume", Tags: [{ Key: "RequestId", Value: "req-1" }] },
          ],
        }),
      ),
    );

    expect(reservation.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
    expect(reservation.OwnerId).toMatch(/^\d{12}$/);
    const [instance] = reservation.Instances ?? [];
    expect(instance).toMatchObject({
      InstanceId: expect.stringMatching(/^i-[0-9a-f]{17}$/),
      ImageId: IMAGE_ID,
      InstanceType: "t3.micro",
      State: { Code: 0, Name: "pending" },
      SubnetId: "subnet-0abc1234",
      PrivateIpAddress: "10.0.1.25",
      ClientToken: "req-1",
      Tags: [
        { Key: "Name", Value: "build-box <ana's & bob's>" },
        { Key: "RequestId", Value: "req-1" },
      ],
    });
    expect(instance?.LaunchTime).toBeInstanceOf(Date);
    expect(instance?.BlockDeviceMappings?.map((mapping) => mapping.DeviceName)).toEqual([
      "/dev/xvda",
      "/dev/xvdb",
    ]);
    const { Volumes = [] } = await client.send(
      new DescribeVolumesCommand({
        Filters: [{ Name: "attachment.instance-id", Values: [instance?.InstanceId as string] }],
      }),
    );
    expect(Volumes.map(({ Size, VolumeType, Tags }) => ({ Size, VolumeType, Tags }))).toEqual([
      { Size: 8, VolumeType: "gp3", Tags: [{ Key: "RequestId", Value: "req-1" }] },
      { Size: 20, VolumeType: "gp3", Tags: [{ Key: "RequestId", Value: "req-1" }] },
    ]);
  });

  it("resolves a resolve:ssm: ImageId at launch and reports the resolved AMI, as AWS does", async () => {
    const { client } = await startStack();
    const parameter = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64";

    const reservation = await client.send(
      new RunInstancesCommand(
        launchInput({ ImageId: `resolve:ssm:${parameter}`, InstanceType: "t4g.micro" }),
      ),
    );

    const instanceId = reservation.Instances?.[0]?.InstanceId as string;
    expect(reservation.Instances?.[0]?.ImageId).toBe(localImageIdOf(parameter, HOME_REGION));
    expect(
      await describeIds(client, [{ Name: "image-id", Values: [localImageIdOf(parameter, HOME_REGION)] }]),
    ).toEqual([instanceId]);
  });

  it.each([
    ["/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64", "/dev/xvda"],
    ["/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id", "/dev/sda1"],
    ["/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base", "/dev/sda1"],
  ])(
    "boots the image of %s from %s, so mapping that device resizes the root volume",
    async (parameter, rootDevice) => {
      const { client } = await startStack();

      const reservation = await client.send(
        new RunInstancesCommand(
          launchInput({
            ImageId: `resolve:ssm:${parameter}`,
            BlockDeviceMappings: [{ DeviceName: rootDevice, Ebs: { VolumeSize: 40, VolumeType: "gp3" } }],
          }),
        ),
      );

      const instanceId = reservation.Instances?.[0]?.InstanceId as string;
      const { Reservations = [] } = await client.send(
        new DescribeInstancesCommand({ InstanceIds: [instanceId] }),
      );
      const described = Reservations[0]?.Instances?.[0];
      expect(described?.RootDeviceName).toBe(rootDevice);
      expect(described?.BlockDeviceMappings?.map((mapping) => mapping.DeviceName)).toEqual([rootDevice]);
      const { Volumes = [] } = await client.send(
        new DescribeVolumesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [instanceId] }] }),
      );
      expect(Volumes.map(({ Size, Attachments }) => ({ Size, device: Attachments?.[0]?.Device }))).toEqual([
        { Size: 40, device: rootDevice },
      ]);
    },
  );

  it("returns the same reservation for a retry with the same ClientToken and launches nothing more", async () => {
    const { client, changes } = await startStack();
    const input = launchInput({
      ClientToken: "req-2",
      TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "RequestId", Value: "req-2" }] }],
    });
    const first = await client.send(new RunInstancesCommand(input));

    const retry = await client.send(new RunInstancesCommand(input));

    expect(retry.ReservationId).toBe(first.ReservationId);
    expect(retry.Instances?.[0]?.InstanceId).toBe(first.Instances?.[0]?.InstanceId);
    expect(await describeIds(client, [])).toEqual([first.Instances?.[0]?.InstanceId]);
    await waitUntil(() => expect(changes.map(([, state]) => state)).toEqual(["pending", "running"]));
  });

  it("fails a ClientToken reused with other parameters with IdempotentParameterMismatch", async () => {
    const { client } = await startStack();
    await client.send(new RunInstancesCommand(launchInput({ ClientToken: "req-3" })));

    const reuse = client.send(
      new RunInstancesCommand(launchInput({ ClientToken: "req-3", InstanceType: "t3.large" })),
    );

    await expect(reuse).rejects.toMatchObject({
      name: "IdempotentParameterMismatch",
      $metadata: { httpStatusCode: 400 },
    });
    expect(await describeIds(client, [])).toHaveLength(1);
  });

  it.each<[string, Partial<RunInstancesCommandInput>, string]>([
    ["a malformed subnet id", { SubnetId: "subnet-0abc" }, "InvalidSubnetID.Malformed"],
    ["a private IP that is not IPv4", { PrivateIpAddress: "10.0.1" }, "InvalidParameterValue"],
    ["MinCount 2", { MinCount: 2, MaxCount: 2 }, "InstanceLimitExceeded"],
    ["no ImageId", { ImageId: undefined }, "MissingParameter"],
    ["a resolve:ssm: ImageId without a parameter", { ImageId: "resolve:ssm:" }, "InvalidParameterValue"],
    [
      "an st1 root volume",
      { BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { VolumeSize: 500, VolumeType: "st1" } }] },
      "InvalidBlockDeviceMapping",
    ],
    [
      "an io1 volume without Iops",
      { BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { VolumeSize: 20, VolumeType: "io1" } }] },
      "InvalidParameterCombination",
    ],
    [
      "Iops on a gp2 volume",
      {
        BlockDeviceMappings: [
          { DeviceName: "/dev/xvda", Ebs: { VolumeSize: 20, VolumeType: "gp2", Iops: 300 } },
        ],
      },
      "InvalidParameterCombination",
    ],
    [
      "more io1 Iops than 50 per GiB",
      {
        BlockDeviceMappings: [
          { DeviceName: "/dev/xvda", Ebs: { VolumeSize: 20, VolumeType: "io1", Iops: 1_001 } },
        ],
      },
      "InvalidParameterValue",
    ],
    [
      "io2 Iops under 100",
      {
        BlockDeviceMappings: [
          { DeviceName: "/dev/xvda", Ebs: { VolumeSize: 20, VolumeType: "io2", Iops: 50 } },
        ],
      },
      "InvalidParameterValue",
    ],
  ])("refuses %s with %s", async (_, overrides, code) => {
    const { client } = await startStack();

    const launch = client.send(new RunInstancesCommand(launchInput(overrides)));

    await expect(launch).rejects.toMatchObject({ name: code, $metadata: { httpStatusCode: 400 } });
  });
});

describe("EC2 volumes through @aws-sdk/client-ec2", () => {
  it("launches provisioned-IOPS and hard-disk data volumes as AWS allows them, reporting their IOPS", async () => {
    const { client } = await startStack();

    const reservation = await client.send(
      new RunInstancesCommand(
        launchInput({
          BlockDeviceMappings: [
            { DeviceName: "/dev/xvda", Ebs: { VolumeSize: 20, VolumeType: "io2", Iops: 3_000 } },
            { DeviceName: "/dev/sdf", Ebs: { VolumeSize: 500, VolumeType: "st1" } },
          ],
        }),
      ),
    );

    const instanceId = reservation.Instances?.[0]?.InstanceId as string;
    const { Volumes = [] } = await client.send(
      new DescribeVolumesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [instanceId] }] }),
    );
    expect(Volumes.map(({ VolumeType, Size, Iops }) => ({ VolumeType, Size, Iops }))).toEqual([
      { VolumeType: "io2", Size: 20, Iops: 3_000 },
      { VolumeType: "st1", Size: 500, Iops: undefined },
    ]);
  });
});

describe("EC2 lifecycle through @aws-sdk/client-ec2", () => {
  it("takes an instance from pending to running and reports each change in order", async () => {
    const { client, changes } = await startStack();

    const reservation = await client.send(new RunInstancesCommand(launchInput()));

    const instanceId = reservation.Instances?.[0]?.InstanceId as string;
    await waitUntil(async () => expect(await stateOf(client, instanceId)).toBe("running"));
    // A change is reported once it is on disk, a moment after DescribeInstances already shows it.
    await waitUntil(() =>
      expect(changes).toEqual([
        [instanceId, "pending", HOME_REGION],
        [instanceId, "running", HOME_REGION],
      ]),
    );
  });

  it("terminates: shutting-down at once, then terminated, each reported", async () => {
    const { client, changes } = await startStack();
    const instanceId = (await client.send(new RunInstancesCommand(launchInput()))).Instances?.[0]
      ?.InstanceId as string;
    await waitUntil(async () => expect(await stateOf(client, instanceId)).toBe("running"));

    const { TerminatingInstances } = await client.send(
      new TerminateInstancesCommand({ InstanceIds: [instanceId] }),
    );

    expect(TerminatingInstances).toEqual([
      {
        InstanceId: instanceId,
        PreviousState: { Code: 16, Name: "running" },
        CurrentState: { Code: 32, Name: "shutting-down" },
      },
    ]);
    await waitUntil(async () => expect(await stateOf(client, instanceId)).toBe("terminated"));
    await waitUntil(() =>
      expect(changes.map(([, state]) => state)).toEqual([
        "pending",
        "running",
        "shutting-down",
        "terminated",
      ]),
    );
  });

  it("stops: stopping at once, then stopped, each reported; stopping it again changes nothing", async () => {
    const { client, changes } = await startStack();
    const instanceId = await runningInstance(client);

    const { StoppingInstances } = await client.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));

    expect(StoppingInstances).toEqual([
      {
        InstanceId: instanceId,
        PreviousState: { Code: 16, Name: "running" },
        CurrentState: { Code: 64, Name: "stopping" },
      },
    ]);
    await waitUntil(async () => expect(await stateOf(client, instanceId)).toBe("stopped"));
    const again = await client.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    expect(again.StoppingInstances?.[0]?.CurrentState?.Name).toBe("stopped");
    await waitUntil(() =>
      expect(changes.map(([, state]) => state)).toEqual(["pending", "running", "stopping", "stopped"]),
    );
  });

  it("starts a stopped instance again: pending, then running, each reported", async () => {
    const { client, changes } = await startStack();
    const instanceId = await runningInstance(client);
    await client.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    await waitUntil(async () => expect(await stateOf(client, instanceId)).toBe("stopped"));

    const { StartingInstances } = await client.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));

    expect(StartingInstances?.[0]?.CurrentState?.Name).toBe("pending");
    await waitUntil(async () => expect(await stateOf(client, instanceId)).toBe("running"));
    await waitUntil(() =>
      expect(changes.map(([, state]) => state).slice(-2)).toEqual(["pending", "running"]),
    );
  });

  it("terminates a stopped instance", async () => {
    const { client } = await startStack();
    const instanceId = await runningInstance(client);
    await client.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    await waitUntil(async () => expect(await stateOf(client, instanceId)).toBe("stopped"));

    await client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));

    await waitUntil(async () => expect(await stateOf(client, instanceId)).toBe("terminated"));
  });

  it("refuses to start an instance shutting down, and to stop a terminated one, with IncorrectInstanceState", async () => {
    const { client } = await startStack();
    const instanceId = await runningInstance(client);
    await client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));

    await expect(client.send(new StartInstancesCommand({ InstanceIds: [instanceId] }))).rejects.toMatchObject(
      {
        name: "IncorrectInstanceState",
      },
    );
    await waitUntil(async () => expect(await stateOf(client, instanceId)).toBe("terminated"));
    await expect(client.send(new StopInstancesCommand({ InstanceIds: [instanceId] }))).rejects.toMatchObject({
      name: "IncorrectInstanceState",
    });
  });

  it("tags an instance after its launch, replacing the value of a key it has", async () => {
    const { client } = await startStack();
    const instanceId = await runningInstance(client, [
      { Key: "ExpiresAt", Value: "2030-01-01T00:00:00.000Z" },
    ]);

    await client.send(
      new CreateTagsCommand({
        Resources: [instanceId],
        Tags: [
          { Key: "ExpiresAt", Value: "2030-02-01T00:00:00.000Z" },
          { Key: "Team", Value: "build" },
        ],
      }),
    );

    const { Reservations } = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    expect(Reservations?.[0]?.Instances?.[0]?.Tags).toEqual([
      { Key: "ExpiresAt", Value: "2030-02-01T00:00:00.000Z" },
      { Key: "Team", Value: "build" },
    ]);
    await expect(
      client.send(
        new CreateTagsCommand({ Resources: ["i-0123456789abcdef0"], Tags: [{ Key: "a", Value: "b" }] }),
      ),
    ).rejects.toMatchObject({ name: "InvalidInstanceID.NotFound" });
  });

  it("keeps its instances across a restart and finishes the transitions the restart interrupted", async () => {
    const before = await startStack({ bootDelayMs: 60_000 });
    const instanceId = (await before.client.send(new RunInstancesCommand(launchInput()))).Instances?.[0]
      ?.InstanceId as string;
    await waitUntil(() => expect(before.changes).toEqual([[instanceId, "pending", HOME_REGION]]));
    await stopStack(before);

    const after = await startStack({ bootDelayMs: 50 });

    expect(await describeIds(after.client, [])).toEqual([instanceId]);
    await waitUntil(async () => expect(await stateOf(after.client, instanceId)).toBe("running"));
    // Reported once on disk, a moment after DescribeInstances already shows it.
    await waitUntil(() => expect(after.changes).toEqual([[instanceId, "running", HOME_REGION]]));
  });
});

describe("EC2 DescribeInstances through @aws-sdk/client-ec2", () => {
  it("filters by tag:RequestId and instance-state-name", async () => {
    const { client } = await startStack();
    const launchFor = async (requestId: string) =>
      (
        await client.send(
          new RunInstancesCommand(
            launchInput({
              TagSpecifications: [
                { ResourceType: "instance", Tags: [{ Key: "RequestId", Value: requestId }] },
              ],
            }),
          ),
        )
      ).Instances?.[0]?.InstanceId as string;
    const first = await launchFor("req-a");
    const second = await launchFor("req-b");
    await client.send(new TerminateInstancesCommand({ InstanceIds: [second] }));

    expect(await describeIds(client, [{ Name: "tag:RequestId", Values: ["req-a"] }])).toEqual([first]);
    expect(await describeIds(client, [{ Name: "tag:RequestId", Values: ["req-a", "req-b"] }])).toEqual([
      first,
      second,
    ]);
    await waitUntil(async () =>
      expect(await describeIds(client, [{ Name: "instance-state-name", Values: ["running"] }])).toEqual([
        first,
      ]),
    );
    expect(
      await describeIds(client, [
        { Name: "tag:RequestId", Values: ["req-a", "req-b"] },
        { Name: "instance-state-name", Values: ["shutting-down", "terminated"] },
      ]),
    ).toEqual([second]);
  });

  it("answers an unknown instance id with InvalidInstanceID.NotFound", async () => {
    const { client } = await startStack();

    const describe = client.send(new DescribeInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] }));

    await expect(describe).rejects.toMatchObject({
      name: "InvalidInstanceID.NotFound",
      message: "The instance ID 'i-0123456789abcdef0' does not exist",
    });
  });

  it("answers an empty reservation list when nothing matches", async () => {
    const { client } = await startStack();

    const { Reservations } = await client.send(new DescribeInstancesCommand({}));

    expect(Reservations).toEqual([]);
  });
});

describe("EC2 regions through @aws-sdk/client-ec2", () => {
  it("lists an instance only in the region it was launched in, and reports its changes there", async () => {
    const { client, clientIn, changes } = await startStack();
    const ireland = clientIn("eu-west-1");

    const instanceId = (await ireland.send(new RunInstancesCommand(launchInput()))).Instances?.[0]
      ?.InstanceId as string;

    expect(await describeIds(ireland, [])).toEqual([instanceId]);
    expect(await describeIds(client, [])).toEqual([]);
    await expect(
      client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })),
    ).rejects.toMatchObject({ name: "InvalidInstanceID.NotFound" });
    await expect(
      client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })),
    ).rejects.toMatchObject({ name: "InvalidInstanceID.NotFound" });
    await waitUntil(() =>
      expect(changes).toEqual([
        [instanceId, "pending", "eu-west-1"],
        [instanceId, "running", "eu-west-1"],
      ]),
    );
  });

  it("launches one instance per region for the same ClientToken", async () => {
    const { client, clientIn } = await startStack();
    const input = launchInput({ ClientToken: "req-in-two-regions" });

    const home = await client.send(new RunInstancesCommand(input));
    const ireland = await clientIn("eu-west-1").send(new RunInstancesCommand(input));
    const homeAgain = await client.send(new RunInstancesCommand(input));

    expect(ireland.Instances?.[0]?.InstanceId).not.toBe(home.Instances?.[0]?.InstanceId);
    expect(homeAgain.Instances?.[0]?.InstanceId).toBe(home.Instances?.[0]?.InstanceId);
  });

  it("resolves a public image parameter to each region's own image", async () => {
    const { client, clientIn } = await startStack();
    const parameter = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
    const input = launchInput({ ImageId: `resolve:ssm:${parameter}` });

    const home = await client.send(new RunInstancesCommand(input));
    const ireland = await clientIn("eu-west-1").send(new RunInstancesCommand(input));

    expect(home.Instances?.[0]?.ImageId).toBe(localImageIdOf(parameter, HOME_REGION));
    expect(ireland.Instances?.[0]?.ImageId).toBe(localImageIdOf(parameter, "eu-west-1"));
    expect(ireland.Instances?.[0]?.ImageId).not.toBe(home.Instances?.[0]?.ImageId);
  });

  it("keeps the instances of a state file from before regions, in the stack's region", async () => {
    const before = await startStack({ bootDelayMs: 60_000 });
    const instanceId = (await before.client.send(new RunInstancesCommand(launchInput()))).Instances?.[0]
      ?.InstanceId as string;
    await stopStack(before);
    stacks = stacks.filter((stack) => stack !== before);
    const statePath = join(dataDir, "ec2", "state.json");
    const state = JSON.parse(await readFile(statePath, "utf8")) as { instances: Record<string, unknown>[] };
    await writeFile(
      statePath,
      JSON.stringify({ ...state, instances: state.instances.map(({ region: _, ...instance }) => instance) }),
    );

    const { client, clientIn } = await startStack({ bootDelayMs: 60_000 });

    expect(await describeIds(client, [])).toEqual([instanceId]);
    expect(await describeIds(clientIn("eu-west-1"), [])).toEqual([]);
  });
});

describe("EC2 Query protocol errors", () => {
  it.each([
    ["an unknown action", "Action=RebootEverything&Version=2016-11-15", "InvalidAction"],
    ["an action named like an object property", "Action=constructor&Version=2016-11-15", "InvalidAction"],
    ["a body without an action", "Version=2016-11-15", "MissingAction"],
    ["a body that is not a form", new Uint8Array([0xff, 0xfe, 0x00, 0x3c, 0x25]), "MissingAction"],
    [
      "a non-numeric count",
      "Action=RunInstances&ImageId=ami-0123456789abcdef0&MinCount=one&MaxCount=1",
      "InvalidParameterValue",
    ],
    ["a filter without a name", "Action=DescribeInstances&Filter.1.Value.1=x", "MissingParameter"],
  ])("answers %s with AWS's XML error %s", async (_, body, code) => {
    const { edge } = await startStack();

    const response = await postRaw(edge, body);

    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toContain(`<Response><Errors><Error><Code>${code}</Code><Message>`);
    expect(text).toMatch(/<RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/);
  });
});

describe("EC2 Query protocol lists", () => {
  const launchTwo = async (client: EC2Client) => {
    const launchOne = async () =>
      (await client.send(new RunInstancesCommand(launchInput()))).Instances?.[0]?.InstanceId as string;
    return [await launchOne(), await launchOne()] as const;
  };

  const describedIds = async (edge: RunningEdge, parameters: string) => {
    const response = await postRaw(edge, `Action=DescribeInstances&Version=2016-11-15&${parameters}`);
    const text = await response.text();
    expect(response.status, text).toBe(200);
    return [...text.matchAll(/<instanceId>([^<]*)<\/instanceId>/g)].map((match) => match[1]);
  };

  it("takes list members under zero-padded or huge indexes, in numeric order of the index", async () => {
    const { client, edge } = await startStack();
    const [first, second] = await launchTwo(client);

    expect(await describedIds(edge, `InstanceId.10=${second}&InstanceId.09=${first}`)).toEqual([
      first,
      second,
    ]);
    expect(
      await describedIds(
        edge,
        `InstanceId.99999999999999999999=${second}&InstanceId.99999999999999999998=${first}`,
      ),
    ).toEqual([first, second]);
    expect(await describedIds(edge, `Filter.1.Name=instance-id&Filter.1.Value.01=${second}`)).toEqual([
      second,
    ]);
    expect(await describedIds(edge, `Filter.01.Name=instance-id&Filter.01.Value.1=${first}`)).toEqual([
      first,
    ]);
  });

  it("refuses 10,000 block device mappings with AttachmentLimitExceeded and launches nothing", async () => {
    const { client, edge } = await startStack();
    const mappings = Array.from(
      { length: 10_000 },
      (_, index) =>
        `BlockDeviceMapping.${index + 1}.DeviceName=/dev/data${index}&BlockDeviceMapping.${index + 1}.Ebs.VolumeSize=8`,
    ).join("&");

    const response = await postRaw(
      edge,
      `Action=RunInstances&Version=2016-11-15&ImageId=${IMAGE_ID}&MinCount=1&MaxCount=1&${mappings}`,
    );

    expect(response.status).toBe(400);
    expect(await response.text()).toContain("<Code>AttachmentLimitExceeded</Code>");
    const { Reservations } = await client.send(new DescribeInstancesCommand({}));
    expect(Reservations).toEqual([]);
  });
  it.each([
    ["a name of 100,000 dots", `${".".repeat(100_000)}=x`],
    ["an empty segment", "Filter..Name=instance-state-name"],
  ])("refuses a parameter with %s as an invalid parameter", async (_, parameter) => {
    const { edge } = await startStack();

    const response = await postRaw(edge, `Action=DescribeInstances&Version=2016-11-15&${parameter}`);

    expect(response.status).toBe(400);
    expect(await response.text()).toContain("<Code>InvalidParameter</Code>");
  });
});
