import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { GetBucketLocationCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existingServicesPrincipal, type Principal } from "../../infra/local/edge/principals.ts";
import { localUsersEnv, submit, validRequest, waitForStatus } from "../support/flow.ts";
import { submitAndApprove } from "../support/launches.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

const HOME = "us-east-1";
const SECOND = "eu-west-1";

describe("requests in a second allowed region", () => {
  let stack: StackUnderTest;
  /** The stack's own credentials, as the operator looks at what was made where. */
  let operator: Principal;
  const clients: { destroy(): void }[] = [];
  /** Where an SDK client at the stack's edge in `region` signs as the operator. */
  const at = (region: string) => ({ endpoint: stack.edgeUrl, region, credentials: operator });
  const kept = <T extends { destroy(): void }>(client: T) => {
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    stack = await startStack({
      env: {
        ALLOWED_REGIONS: `${HOME},${SECOND}`,
        DEFAULT_REGION: HOME,
        RDS_CREATE_DELAY_MS: "50",
        ...localUsersEnv(),
      },
    });
    operator = await existingServicesPrincipal(stack.dataDir);
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await stack?.destroy();
  });

  it("launches an instance in the region asked for, where EC2 lists it, and nowhere else", async () => {
    const requestId = await submitAndApprove(stack, validRequest().resource, { region: SECOND });

    const provisioned = await waitForStatus(stack, requestId, "PROVISIONED");

    expect(provisioned.region).toBe(SECOND);
    const byRequest = new DescribeInstancesCommand({
      Filters: [{ Name: "tag:RequestId", Values: [requestId] }],
    });
    const idsIn = async (region: string) =>
      ((await kept(new EC2Client(at(region))).send(byRequest)).Reservations ?? []).flatMap((reservation) =>
        (reservation.Instances ?? []).map((instance) => instance.InstanceId),
      );
    expect(await idsIn(SECOND)).toEqual([provisioned.instanceId]);
    expect(await idsIn(HOME)).toEqual([]);
  });

  it("creates a database and a bucket in the region asked for", async () => {
    const database = await submitAndApprove(
      stack,
      { type: "rds", engine: "mysql", instanceClass: "db.t4g.micro", allocatedStorageGiB: 20, name: "irish" },
      { region: SECOND },
    );
    const bucket = await submitAndApprove(
      stack,
      { type: "s3", bucketName: "irish-reports" },
      { region: SECOND },
    );

    const identifier = String((await waitForStatus(stack, database, "PROVISIONED")).dbInstanceIdentifier);
    expect((await waitForStatus(stack, bucket, "PROVISIONED")).bucket).toMatchObject({ region: SECOND });

    const identifiersIn = async (region: string) =>
      (
        (await kept(new RDSClient(at(region))).send(new DescribeDBInstancesCommand({}))).DBInstances ?? []
      ).map((instance) => instance.DBInstanceIdentifier);
    expect(await identifiersIn(SECOND)).toContain(identifier);
    expect(await identifiersIn(HOME)).not.toContain(identifier);
    const location = await kept(new S3Client({ ...at(SECOND), forcePathStyle: true })).send(
      new GetBucketLocationCommand({ Bucket: "irish-reports" }),
    );
    expect(location.LocationConstraint).toBe(SECOND);
  });

  it("refuses a region the stack does not allow, naming the field", async () => {
    const refused = await submit(stack, validRequest({ region: "ap-northeast-1" }));

    expect(refused.status).toBe(400);
    expect(refused.body.fieldErrors).toEqual([
      { field: "region", message: `must be one of ${HOME}, ${SECOND}` },
    ]);
  });
});
