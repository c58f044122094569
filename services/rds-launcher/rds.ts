import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  type CreateDBInstanceMessage,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DeleteDBInstanceCommand,
  type DeleteDBInstanceMessage,
  DescribeDBInstancesCommand,
  RDSClient,
  RDSServiceException,
  type Tag,
} from "@aws-sdk/client-rds";
import { traced } from "../shared/observability.ts";
import { clientPerRegion } from "../shared/regional-clients.ts";
import type { RdsFailure } from "./domain.ts";

/** RDS answered, but without what every successful answer of its kind carries. */
export class UnexpectedRdsResponseError extends Error {
  override readonly name = "UnexpectedRdsResponseError";
}

export interface DescribedDbInstance {
  status: string;
  /** What AddTagsToResource names the instance by. */
  arn?: string;
  tags: Record<string, string>;
  /** Where the requester connects; RDS gives it once the instance is up. */
  endpoint?: { host: string; port: number };
  /** The Secrets Manager secret holding the master user's credentials. */
  masterUserSecretArn?: string;
}

/**
 * What the launcher reads out of an error thrown by a call below. The code is RDS's own (the SDK keeps
 * it as `Code`; its modelled faults are named after it, e.g. `DBInstanceAlreadyExistsFault`).
 */
export const rdsFailureOf = (error: unknown): RdsFailure => {
  if (!(error instanceof RDSServiceException)) {
    return { message: error instanceof Error ? error.message : String(error) };
  }
  const { Code } = error as { Code?: unknown };
  return { code: typeof Code === "string" ? Code : error.name, message: error.message };
};

export type CreateResult = "created" | "already-exists";

export type DeleteResult = "deleting" | "not-found";

/** The RDS calls the launcher makes, each in the region asked, through the real SDK clients. */
export const createRdsGateway = (clientIn: (region: string) => RDSClient) => ({
  /** Asks RDS to create the instance; "already-exists" when an instance of that identifier exists there. */
  createDbInstance: async (region: string, input: CreateDBInstanceMessage): Promise<CreateResult> => {
    try {
      await clientIn(region).send(new CreateDBInstanceCommand(input));
      return "created";
    } catch (error) {
      if (error instanceof DBInstanceAlreadyExistsFault) return "already-exists";
      throw error;
    }
  },

  /** The instance as RDS describes it now; undefined when RDS does not know it. */
  describeDbInstance: async (
    region: string,
    identifier: string,
  ): Promise<DescribedDbInstance | undefined> => {
    try {
      const output = await clientIn(region).send(
        new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }),
      );
      const instance = output.DBInstances?.[0];
      if (!instance) return undefined;
      if (!instance.DBInstanceStatus) {
        throw new UnexpectedRdsResponseError(
          `DescribeDBInstances answered without a status for ${identifier}`,
        );
      }
      const { Address, Port } = instance.Endpoint ?? {};
      return {
        status: instance.DBInstanceStatus,
        ...(instance.DBInstanceArn && { arn: instance.DBInstanceArn }),
        tags: Object.fromEntries((instance.TagList ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""])),
        ...(Address && Port !== undefined && { endpoint: { host: Address, port: Port } }),
        ...(instance.MasterUserSecret?.SecretArn && {
          masterUserSecretArn: instance.MasterUserSecret.SecretArn,
        }),
      };
    } catch (error) {
      if (error instanceof DBInstanceNotFoundFault) return undefined;
      throw error;
    }
  },

  /** Asks RDS to delete the instance; "not-found" when it is gone already. */
  deleteDbInstance: async (region: string, input: DeleteDBInstanceMessage): Promise<DeleteResult> => {
    try {
      await clientIn(region).send(new DeleteDBInstanceCommand(input));
      return "deleting";
    } catch (error) {
      if (error instanceof DBInstanceNotFoundFault) return "not-found";
      throw error;
    }
  },

  /** Adds the tags to the instance of this ARN, or replaces the values of those it has. */
  addTags: async (region: string, arn: string, tags: Tag[]): Promise<void> => {
    await clientIn(region).send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: tags }));
  },
});

export type RdsGateway = ReturnType<typeof createRdsGateway>;

export const rdsGateway = createRdsGateway(clientPerRegion((region) => traced(new RDSClient({ region }))));
