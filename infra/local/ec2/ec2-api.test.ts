import {
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { afterEach, describe, expect, it } from "vitest";
import { buildRunInstancesInput } from "../../../services/ec2-launcher/domain.ts";
import { ec2RequestOf } from "../../../services/ec2-launcher/testing/requests.ts";
import { TEST_SERVICES_PRINCIPAL } from "../../../test/support/local-events.ts";
import { type RunningEdge, startEdge } from "../edge/server.ts";
import { createEc2Api } from "./ec2-api.ts";
import { IMAGE_ID, REGION, useLocalEc2 } from "./testing/local-ec2.ts";

const { openEc2 } = useLocalEc2();
const opened: { edge: RunningEdge; client: EC2Client }[] = [];

afterEach(async () => {
  for (const { edge, client } of opened.splice(0)) {
    client.destroy();
    await edge.close();
  }
});

/** The local EC2 behind the edge, and an SDK client of it signing as the stack's services. */
const startEc2Api = async () => {
  const { ec2 } = openEc2({ bootDelayMs: 60_000 });
  const edge = await startEdge({
    port: 0,
    services: { ec2: createEc2Api(ec2) },
    principals: [TEST_SERVICES_PRINCIPAL],
  });
  const client = new EC2Client({
    endpoint: edge.url,
    region: REGION,
    credentials: TEST_SERVICES_PRINCIPAL,
    maxAttempts: 1,
  });
  opened.push({ edge, client });
  return client;
};

describe("the launcher's guardrails through the local EC2 API", () => {
  it.each([
    ["the image's root volume alone", undefined],
    ["a data volume beside the root volume", { sizeGiB: 125, type: "st1" } as const],
  ])("launches with IMDSv2 required and %s encrypted, as the launcher asks", async (_, volume) => {
    const client = await startEc2Api();
    const request = ec2RequestOf({
      resource: { type: "ec2", instanceType: "t3.micro", os: "amazon-linux-2023", volume },
    });
    const input = buildRunInstancesInput(request, "bob@example.com", IMAGE_ID, {
      securityGroupIds: [],
      deploymentName: "approvals-test",
    });

    const { Instances } = await client.send(new RunInstancesCommand(input));

    const instanceId = Instances?.[0]?.InstanceId as string;
    const { Reservations } = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    expect(Reservations?.[0]?.Instances?.[0]?.MetadataOptions).toMatchObject({
      HttpTokens: "required",
      HttpEndpoint: "enabled",
    });
    const { Volumes = [] } = await client.send(
      new DescribeVolumesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [instanceId] }] }),
    );
    expect(Volumes.length).toBe(volume ? 2 : 1);
    expect(Volumes.map((attached) => attached.Encrypted)).toEqual(Volumes.map(() => true));
  });

  it("records EC2's defaults for a launch that asks for neither: IMDSv1 allowed, the image's volume unencrypted", async () => {
    const client = await startEc2Api();

    const { Instances } = await client.send(
      new RunInstancesCommand({ ImageId: IMAGE_ID, MinCount: 1, MaxCount: 1 }),
    );

    const instanceId = Instances?.[0]?.InstanceId as string;
    const unguarded = await client.send(
      new DescribeInstancesCommand({
        Filters: [{ Name: "metadata-options.http-tokens", Values: ["optional"] }],
      }),
    );
    expect(unguarded.Reservations?.flatMap((reservation) => reservation.Instances ?? [])).toEqual([
      expect.objectContaining({ InstanceId: instanceId }),
    ]);
    const { Volumes = [] } = await client.send(
      new DescribeVolumesCommand({ Filters: [{ Name: "encrypted", Values: ["false"] }] }),
    );
    expect(Volumes.map((attached) => attached.Attachments?.[0]?.InstanceId)).toEqual([instanceId]);
  });

  it("refuses metadata options EC2 does not know with InvalidParameterValue", async () => {
    const client = await startEc2Api();

    const launch = client.send(
      new RunInstancesCommand({
        ImageId: IMAGE_ID,
        MinCount: 1,
        MaxCount: 1,
        MetadataOptions: { HttpTokens: "mandatory" as "required" },
      }),
    );

    await expect(launch).rejects.toMatchObject({ name: "InvalidParameterValue" });
  });
});
