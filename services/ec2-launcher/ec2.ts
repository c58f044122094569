import {
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  RunInstancesCommand,
  type RunInstancesCommandInput,
} from "@aws-sdk/client-ec2";
import type { Region } from "../../events/region.ts";
import { clientPerRegion } from "../shared/regional-clients.ts";
import type { Ec2Failure } from "./domain.ts";

/** EC2 answered, but without what every successful answer carries. */
export class UnexpectedEc2ResponseError extends Error {
  override readonly name = "UnexpectedEc2ResponseError";
}

export interface DescribedInstance {
  privateIp?: string;
  tags: Record<string, string>;
  /** Why the instance changed state last (e.g. `Server.InsufficientInstanceCapacity: ...`), when EC2 says. */
  stateReason?: string;
}

/** What the launcher reads out of an error thrown by a call below. */
export const ec2FailureOf = (error: unknown): Ec2Failure =>
  error instanceof EC2ServiceException
    ? { code: error.name, message: error.message }
    : { message: error instanceof Error ? error.message : String(error) };

/** The two EC2 calls the launcher makes, in the region asked for, through the real SDK client of that region. */
export const createEc2Gateway = (clientIn: (region: Region) => EC2Client) => ({
  /** Launches (or, for a ClientToken seen before in the region, finds) the instance; resolves to its id. */
  runInstance: async (region: Region, input: RunInstancesCommandInput): Promise<string> => {
    const output = await clientIn(region).send(new RunInstancesCommand(input));
    const instanceId = output.Instances?.[0]?.InstanceId;
    if (!instanceId) throw new UnexpectedEc2ResponseError("RunInstances answered without an instance id");
    return instanceId;
  },

  /** The instance as EC2 describes it now; undefined when EC2 does not know it in that region. */
  describeInstance: async (region: Region, instanceId: string): Promise<DescribedInstance | undefined> => {
    try {
      const output = await clientIn(region).send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const instance = output.Reservations?.[0]?.Instances?.[0];
      if (!instance) return undefined;
      return {
        privateIp: instance.PrivateIpAddress,
        tags: Object.fromEntries((instance.Tags ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""])),
        stateReason: instance.StateReason?.Message,
      };
    } catch (error) {
      if (error instanceof EC2ServiceException && error.name === "InvalidInstanceID.NotFound")
        return undefined;
      throw error;
    }
  },
});

export type Ec2Gateway = ReturnType<typeof createEc2Gateway>;

export const ec2Gateway = createEc2Gateway(clientPerRegion((region) => new EC2Client({ region })));
