import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { documentClientOf } from "../shared/dynamo.ts";
import { config } from "./config.ts";
import type { Delegations } from "./domain.ts";
import { delegationsTable } from "./tables.ts";

/** The delegations table: each approver's windows, read and replaced whole. */
export const createDelegationStore = (document: DynamoDBDocumentClient, tableName: string) => ({
  get: async (approver: string): Promise<Delegations | undefined> =>
    (
      await document.send(
        new GetCommand({
          TableName: tableName,
          Key: { [delegationsTable.partitionKey.name]: approver },
          ConsistentRead: true,
        }),
      )
    ).Item as Delegations | undefined,
  /** Replaces the approver's windows; the last write wins, as the approver's last change should. */
  put: async (delegations: Delegations): Promise<void> => {
    await document.send(new PutCommand({ TableName: tableName, Item: delegations }));
  },
});

export type DelegationStore = ReturnType<typeof createDelegationStore>;

export const delegationStore: DelegationStore = createDelegationStore(
  documentClientOf(),
  config[delegationsTable.tableNameEnv],
);
