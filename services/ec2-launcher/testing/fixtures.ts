import "../../../test/support/service-environment.ts";
import { EC2Client, EC2ServiceException } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import type { DetailOf } from "../../../events/contract.ts";
import type { Ec2Resource } from "../../../events/request.ts";
import { RequestApproved } from "../../../events/request-approved.ts";
import { startTestDynamo, type TestDynamo } from "../../../test/support/dynamo.ts";
import { silentLogger } from "../../../test/support/fakes.ts";
import { sampleRequest } from "../../../test/support/fixtures.ts";
import { testIdempotency } from "../../../test/support/idempotency.ts";
import { recordingPublisher } from "../../../test/support/recording-publisher.ts";
import { createEc2Gateway } from "../ec2.ts";
import { createLaunchStore } from "../store.ts";
import { idempotencyTable, launchesTable, tables } from "../tables.ts";

export const APPROVER = "bob@example.com";

/** A `RequestApproved` detail for an EC2 request with this id, the sample resource changed by `resource`. */
export const approvalOf = (
  requestId: string,
  resource: Partial<Ec2Resource> = {},
): DetailOf<typeof RequestApproved> =>
  RequestApproved.schema.parse({
    requestId,
    request: sampleRequest({ requestId, resource: { ...sampleRequest().resource, ...resource } }),
    approver: APPROVER,
    decidedAt: "2030-01-01T10:00:00.000Z",
  });

/** An error as the SDK raises it for an EC2 error answer with this code. */
export const ec2Error = (code: string, fault: "client" | "server" = "client") =>
  new EC2ServiceException({ name: code, $fault: fault, $metadata: {}, message: `${code} happened` });

let instances = 0;
/** A fresh instance id in AWS's long format. */
export const newInstanceId = () => `i-${(++instances).toString(16).padStart(17, "0")}`;

export const FIXED_NOW = new Date("2030-01-01T10:00:05.000Z");

/**
 * The launcher's dependencies for handler tests: the store on dynalite with the launcher's tables, the
 * real EC2 gateway over an SDK client whose calls are mocked, and a recording publisher.
 */
export const startLauncherTestbed = async () => {
  const dynamo: TestDynamo = await startTestDynamo(tables);
  const ec2Client = new EC2Client({
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const ec2Mock = mockClient(ec2Client);
  const store = createLaunchStore(
    dynamo.document,
    launchesTable.id,
    testIdempotency(dynamo, idempotencyTable.id, "ec2-launcher"),
  );
  const freshDeps = () => {
    const bus = recordingPublisher();
    return {
      bus,
      deps: {
        store,
        ec2: createEc2Gateway(ec2Client),
        publish: bus.publish,
        now: () => FIXED_NOW,
        logger: silentLogger(),
      },
    };
  };
  return {
    store,
    ec2Mock,
    freshDeps,
    close: async () => {
      ec2Mock.restore();
      await dynamo.close();
    },
  };
};
