import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { documentClientOf, queryAll, unlessConditionFails, whetherConditionHeld } from "../shared/dynamo.ts";
import {
  type ApprovalRecord,
  type AskedApproval,
  type Decision,
  publishDueAt,
  type SweepTask,
} from "./domain.ts";
import { SWEEP_INDEX } from "./tables.ts";
import type { DecisionAction } from "./token.ts";

export interface NewHashes {
  approve: string;
  reject: string;
}

/**
 * The approvals table, the one place that knows its item layout. approval-mail creates items and
 * records the mailing; decision records decisions and expiry; both publish outcomes through it.
 */
export const createApprovalStore = (
  tableName: string,
  document: DynamoDBDocumentClient = documentClientOf(),
) => {
  const update = (input: Omit<ConstructorParameters<typeof UpdateCommand>[0], "TableName">) =>
    document.send(new UpdateCommand({ TableName: tableName, ...input }));

  return {
    get: async (requestId: string): Promise<ApprovalRecord | undefined> => {
      const output = await document.send(
        new GetCommand({ TableName: tableName, Key: { requestId }, ConsistentRead: true }),
      );
      return output.Item as ApprovalRecord | undefined;
    },

    /** Creates the item unless one exists; false when an earlier delivery created it. */
    createIfAbsent: (record: ApprovalRecord): Promise<boolean> =>
      whetherConditionHeld(
        document.send(
          new PutCommand({
            TableName: tableName,
            Item: record,
            ConditionExpression: "attribute_not_exists(requestId)",
          }),
        ),
      ),

    /**
     * Takes the mailing over from a delivery that died (its claim is older than `staleBefore`, or it
     * gave the claim up), adding fresh link hashes for the approvers still without mail. The older
     * hashes stay valid: a mail that went out just before the crash keeps working links.
     */
    takeOverMailing: ({
      requestId,
      claimId,
      claimedAt,
      staleBefore,
      hashes,
    }: {
      requestId: string;
      claimId: string;
      claimedAt: Date;
      staleBefore: Date;
      hashes: Record<string, NewHashes>;
    }): Promise<boolean> => {
      const approvers = Object.keys(hashes);
      const names: Record<string, string> = { "#status": "status" };
      const values: Record<string, unknown> = {
        ":pending": "PENDING",
        ":claimId": claimId,
        ":claimedAt": claimedAt.toISOString(),
        ":staleBefore": staleBefore.toISOString(),
      };
      const sets = ["mailClaimId = :claimId", "mailClaimedAt = :claimedAt"];
      const unsent: string[] = [];
      approvers.forEach((approver, index) => {
        names[`#a${index}`] = approver;
        values[`:approve${index}`] = [hashes[approver]?.approve];
        values[`:reject${index}`] = [hashes[approver]?.reject];
        sets.push(
          `grants.#a${index}.approve = list_append(grants.#a${index}.approve, :approve${index})`,
          `grants.#a${index}.reject = list_append(grants.#a${index}.reject, :reject${index})`,
        );
        unsent.push(`attribute_not_exists(grants.#a${index}.mailSentAt)`);
      });
      return whetherConditionHeld(
        update({
          Key: { requestId },
          UpdateExpression: `SET ${sets.join(", ")}`,
          ConditionExpression: [
            "#status = :pending",
            "(attribute_not_exists(mailClaimId) OR mailClaimedAt < :staleBefore)",
            ...unsent,
          ].join(" AND "),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    },

    /** Gives a claim up after a failure, so the retry need not wait for it to go stale. */
    releaseMailClaim: async (requestId: string, claimId: string): Promise<void> => {
      await whetherConditionHeld(
        update({
          Key: { requestId },
          UpdateExpression: "REMOVE mailClaimId, mailClaimedAt",
          ConditionExpression: "mailClaimId = :claimId",
          ExpressionAttributeValues: { ":claimId": claimId },
        }),
      );
    },

    markMailSent: async (requestId: string, approver: string, sentAt: Date, messageId: string) => {
      await update({
        Key: { requestId },
        UpdateExpression:
          "SET grants.#approver.mailSentAt = :sentAt, grants.#approver.messageId = :messageId",
        ExpressionAttributeNames: { "#approver": approver },
        ExpressionAttributeValues: { ":sentAt": sentAt.toISOString(), ":messageId": messageId },
      });
    },

    markApprovalRequested: async (requestId: string, at: Date) => {
      await update({
        Key: { requestId },
        UpdateExpression: "SET approvalRequestedAt = :at",
        ExpressionAttributeValues: { ":at": at.toISOString() },
      });
    },

    /**
     * The decision, as one conditional write: still pending, not expired, not the requester, and the
     * link's hash stored for this approver and action. The first decision wins; a link decides once.
     * Resolves to the decided item, or undefined when the condition did not hold.
     */
    recordDecision: async ({
      requestId,
      action,
      approver,
      tokenHash,
      reason,
      now,
    }: {
      requestId: string;
      action: DecisionAction;
      approver: string;
      tokenHash: string;
      reason: string | undefined;
      now: Date;
    }): Promise<AskedApproval | undefined> => {
      const decision: Decision = { action, approver, reason, decidedAt: now.toISOString() };
      const output = await unlessConditionFails(
        update({
          Key: { requestId },
          UpdateExpression:
            "SET #status = :decided, decision = :decision, sweepTask = :publish, sweepAt = :publishDueAt",
          ConditionExpression:
            "#status = :pending AND expiresAt > :now AND requesterEmail <> :approver AND contains(grants.#approver.#action, :tokenHash)",
          ExpressionAttributeNames: { "#status": "status", "#approver": approver, "#action": action },
          ExpressionAttributeValues: {
            ":decided": "DECIDED",
            ":pending": "PENDING",
            ":decision": decision,
            ":publish": "PUBLISH" satisfies SweepTask,
            ":publishDueAt": publishDueAt(now).toISOString(),
            ":now": now.toISOString(),
            ":approver": approver,
            ":tokenHash": tokenHash,
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return output?.Attributes as AskedApproval | undefined;
    },

    /** Marks a pending item past its deadline EXPIRED; undefined when it was decided or expired already. */
    expire: async (requestId: string, now: Date): Promise<AskedApproval | undefined> => {
      const output = await unlessConditionFails(
        update({
          Key: { requestId },
          UpdateExpression:
            "SET #status = :expired, expiredAt = :now, sweepTask = :publish, sweepAt = :publishDueAt",
          ConditionExpression: "#status = :pending AND expiresAt <= :now",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":expired": "EXPIRED",
            ":pending": "PENDING",
            ":now": now.toISOString(),
            ":publish": "PUBLISH" satisfies SweepTask,
            ":publishDueAt": publishDueAt(now).toISOString(),
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return output?.Attributes as AskedApproval | undefined;
    },

    /** Items whose sweep task is due at or before `dueBy`, every page of the sparse sweep index. */
    listDue: (task: SweepTask, dueBy: Date): Promise<ApprovalRecord[]> =>
      queryAll<ApprovalRecord>(document, {
        TableName: tableName,
        IndexName: SWEEP_INDEX,
        KeyConditionExpression: "sweepTask = :task AND sweepAt <= :dueBy",
        ExpressionAttributeValues: { ":task": task, ":dueBy": dueBy.toISOString() },
      }),

    /** Takes the item off the sweeper's list once its outcome event is on the bus. */
    markOutcomePublished: async (requestId: string, at: Date): Promise<void> => {
      await whetherConditionHeld(
        update({
          Key: { requestId },
          UpdateExpression: "SET outcomePublishedAt = :at REMOVE sweepTask, sweepAt",
          ConditionExpression: "sweepTask = :publish",
          ExpressionAttributeValues: { ":at": at.toISOString(), ":publish": "PUBLISH" satisfies SweepTask },
        }),
      );
    },
  };
};

export type ApprovalStore = ReturnType<typeof createApprovalStore>;
