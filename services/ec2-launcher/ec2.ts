import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  StopInstancesCommand,
  type Tag,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import type { Region } from "../../events/region.ts";
import { traced } from "../shared/observability.ts";
import { clientPerRegion } from "../shared/regional-clients.ts";
import type { Ec2Failure } from "./domain.ts";
import type { Ec2EndAction, InstanceState } from "./release.ts";

/** EC2 answered, but without what every successful answer carries. */
export class UnexpectedEc2ResponseError extends Error {
  override readonly name = "UnexpectedEc2ResponseError";
}

export interface DescribedInstance {
  state?: InstanceState;
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

const isEc2Error = (error: unknown, ...codes: string[]) =>
  error instanceof EC2ServiceException && codes.includes(error.name);

const NOT_FOUND = "InvalidInstanceID.NotFound";

/** The EC2 calls the launcher makes, in the region asked for, through the real SDK client of that region. */
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
        state: instance.State?.Name,
        privateIp: instance.PrivateIpAddress,
        tags: Object.fromEntries((instance.Tags ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""])),
        stateReason: instance.StateReason?.Message,
      };
    } catch (error) {
      if (isEc2Error(error, NOT_FOUND)) return undefined;
      throw error;
    }
  },

  /** Puts these tags on the instance, replacing the values of keys it has. */
  tagInstance: async (region: Region, instanceId: string, tags: Tag[]): Promise<void> => {
    await clientIn(region).send(new CreateTagsCommand({ Resources: [instanceId], Tags: tags }));
  },

  /**
   * Stops or terminates the instance. Both are idempotent on EC2. An instance EC2 no longer knows is
   * gone already, and one in a state the action cannot start from (a pending instance cannot be
   * stopped, one shutting down cannot be stopped) is the checks' to judge: neither is an error here.
   */
  releaseInstance: async (region: Region, instanceId: string, action: Ec2EndAction): Promise<void> => {
    const input = { InstanceIds: [instanceId] };
    try {
      await clientIn(region).send(
        action === "stop" ? new StopInstancesCommand(input) : new TerminateInstancesCommand(input),
      );
    } catch (error) {
      if (!isEc2Error(error, NOT_FOUND, "IncorrectInstanceState")) throw error;
    }
  },
});

export type Ec2Gateway = ReturnType<typeof createEc2Gateway>;

export const ec2Gateway = createEc2Gateway(clientPerRegion((region) => traced(new EC2Client({ region }))));
