import { describe, expect, it } from "vitest";
import { waitUntil } from "../../../test/support/wait.ts";
import { IMAGE_ID, launch, launchedId, REGION, stateOf, useLocalEc2 } from "./testing/local-ec2.ts";

const { openEc2 } = useLocalEc2();

describe("LocalEc2 launches", () => {
  it("a pending instance with AWS-shaped ids, a private IP in 10.0.0.0/16 and a root volume", async () => {
    const { ec2 } = openEc2({ bootDelayMs: 60_000 });

    const reservation = await ec2.runInstances(REGION, launch({ instanceType: "t3.micro" }));

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

  it("refuses a private IP already used in the same subnet, and accepts it in another", async () => {
    const { ec2 } = openEc2();
    await ec2.runInstances(REGION, launch({ subnetId: "subnet-0abc1234", privateIpAddress: "10.0.1.25" }));

    await expect(
      ec2.runInstances(REGION, launch({ subnetId: "subnet-0abc1234", privateIpAddress: "10.0.1.25" })),
    ).rejects.toMatchObject({
      code: "InvalidIPAddress.InUse",
    });
    await expect(
      ec2.runInstances(REGION, launch({ subnetId: "subnet-0def5678", privateIpAddress: "10.0.1.25" })),
    ).resolves.toBeDefined();
  });
});

describe("LocalEc2 regions", () => {
  it("takes a subnet id of another region as another subnet, whose addresses are all free", async () => {
    const { ec2 } = openEc2();
    const inSubnet = launch({ subnetId: "subnet-0abc1234", privateIpAddress: "10.0.1.25" });
    await ec2.runInstances(REGION, inSubnet);

    await expect(ec2.runInstances("eu-west-1", inSubnet)).resolves.toBeDefined();
  });

  it("reports each instance's changes with its region", async () => {
    const { ec2, changes } = openEc2();

    const instanceId = await launchedId(ec2, launch(), "eu-west-1");

    await waitUntil(() => expect(changes).toHaveLength(2));
    expect(changes).toEqual([
      [instanceId, "pending", "eu-west-1"],
      [instanceId, "running", "eu-west-1"],
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
      REGION,
      launch({ clientToken: "token-1", tagSpecifications: [{ resourceType: "instance", tags }] }),
    );

    const reordered = ec2.runInstances(
      REGION,
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

    const retried = await ec2.runInstances(REGION, launch({ clientToken: "token-1" }));

    expect(retried.instances).toEqual([expect.objectContaining({ instanceId, state: "running" })]);
    expect(ec2.describeInstances(REGION)).toHaveLength(1);
  });
});

describe("LocalEc2 describe", () => {
  it.each([
    ["a malformed instance id", { instanceIds: ["i-xyz"] }, "InvalidInstanceID.Malformed"],
    ["an unknown instance id", { instanceIds: ["i-0123456789abcdef0"] }, "InvalidInstanceID.NotFound"],
  ])("refuses %s with %s", (_, query, code) => {
    const { ec2 } = openEc2();

    expect(() => ec2.describeInstances(REGION, query)).toThrow(expect.objectContaining({ code }));
  });

  it("no longer lists the volumes of a terminated instance", async () => {
    const { ec2 } = openEc2();
    const instanceId = await launchedId(ec2);
    const [rootVolume] = ec2.describeVolumes(REGION);
    await ec2.terminateInstances(REGION, [instanceId]);
    await waitUntil(() => expect(stateOf(ec2, instanceId)).toBe("terminated"));

    expect(ec2.describeVolumes(REGION)).toEqual([]);
    expect(() => ec2.describeVolumes(REGION, { volumeIds: [rootVolume?.volumeId as string] })).toThrow(
      expect.objectContaining({ code: "InvalidVolume.NotFound" }),
    );
  });
});
