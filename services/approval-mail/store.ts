import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DecisionAction } from "../shared/decision-token.ts";
import { queryAll, unlessConditionFails, whetherConditionHeld } from "../shared/dynamo.ts";
import type { Idempotency } from "../shared/idempotency.ts";

/** The links issued to one approver, by hash: more than one each if a mail had to be sent again. */
export interface IssuedLinks {
  approve: string[];
  reject: string[];
  mailSentAt?: string;
  messageId?: string;
}

/** One stage's approvers were asked: the progress of their mails. */
export interface Mailing {
  /** The approval's key (approvalKeyOf), kept under the table's key name. */
  requestId: string;
  /** The stage's index (from 0): the item's sort key. */
  stage: number;
  createdAt: string;
  approvers: string[];
  links: Record<string, IssuedLinks>;
  /** Whole seconds: the tokens carry epoch seconds, and every link of the stage shares it. */
  expiresAt: string;
  /** Approvers the stage's escalation added (ApprovalEscalated), mailed apart from the stage's own mail. */
  escalatedTo?: Set<string>;
  /** The delivery sending the mails, and since when: a stale claim is taken over. */
  mailClaimId?: string;
  mailClaimedAt?: string;
}

/**
 * approval-mail's own table, the one place that knows its item layout. The first delivery of a
 * stage's ApprovalStageStarted creates its mailing with a conditional put; later deliveries only
 * carry on with the mails it did not send.
 */
export const createMailingStore = (
  tableName: string,
  document: DynamoDBDocumentClient,
  idempotency: Idempotency,
) => {
  const keyOf = (requestId: string, stage: number) => ({ requestId, stage });

  return {
    get: async (requestId: string, stage: number): Promise<Mailing | undefined> =>
      (
        await document.send(
          new GetCommand({ TableName: tableName, Key: keyOf(requestId, stage), ConsistentRead: true }),
        )
      ).Item as Mailing | undefined,

    /** Every stage's mailing of the approval (approvalKeyOf): whom approval-mail asked about it. */
    mailingsOf: (requestId: string): Promise<Mailing[]> =>
      queryAll<Mailing>(document, {
        TableName: tableName,
        KeyConditionExpression: "requestId = :requestId",
        ExpressionAttributeValues: { ":requestId": requestId },
        ConsistentRead: true,
      }),

    /** Creates the stage's mailing unless one exists; false when an earlier delivery created it. */
    createIfAbsent: (mailing: Mailing): Promise<boolean> =>
      whetherConditionHeld(
        document.send(
          new PutCommand({
            TableName: tableName,
            Item: mailing,
            ConditionExpression: "attribute_not_exists(requestId)",
          }),
        ),
      ),

    /**
     * Takes the mailing over from a delivery that died (its claim is older than `staleBefore`) or gave
     * the claim up, adding fresh link hashes for the approvers still without mail. The older hashes stay:
     * a mail that went out just before the crash keeps working links. Resolves to the mailing as it is
     * now, or undefined when another delivery holds a live claim.
     */
    takeOverMailing: async ({
      requestId,
      stage,
      claimId,
      claimedAt,
      staleBefore,
      hashes,
    }: {
      requestId: string;
      stage: number;
      claimId: string;
      claimedAt: Date;
      staleBefore: Date;
      hashes: Record<string, Record<DecisionAction, string>>;
    }): Promise<Mailing | undefined> => {
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {
        ":claimId": claimId,
        ":claimedAt": claimedAt.toISOString(),
        ":staleBefore": staleBefore.toISOString(),
      };
      const sets = ["mailClaimId = :claimId", "mailClaimedAt = :claimedAt"];
      const unsent: string[] = [];
      Object.entries(hashes).forEach(([approver, added], index) => {
        names[`#a${index}`] = approver;
        values[`:approve${index}`] = [added.approve];
        values[`:reject${index}`] = [added.reject];
        sets.push(
          `links.#a${index}.approve = list_append(links.#a${index}.approve, :approve${index})`,
          `links.#a${index}.reject = list_append(links.#a${index}.reject, :reject${index})`,
        );
        unsent.push(`attribute_not_exists(links.#a${index}.mailSentAt)`);
      });
      const output = await unlessConditionFails(
        document.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keyOf(requestId, stage),
            UpdateExpression: `SET ${sets.join(", ")}`,
            ConditionExpression: [
              "attribute_exists(requestId)",
              "(attribute_not_exists(mailClaimId) OR mailClaimedAt < :staleBefore)",
              ...unsent,
            ].join(" AND "),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: "ALL_NEW",
          }),
        ),
      );
      return output?.Attributes as Mailing | undefined;
    },

    /** Gives a claim up after a failure, so the retry need not wait for it to go stale. */
    releaseMailClaim: async (requestId: string, stage: number, claimId: string): Promise<void> => {
      await whetherConditionHeld(
        document.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keyOf(requestId, stage),
            UpdateExpression: "REMOVE mailClaimId, mailClaimedAt",
            ConditionExpression: "mailClaimId = :claimId",
            ExpressionAttributeValues: { ":claimId": claimId },
          }),
        ),
      );
    },

    markMailSent: async (
      requestId: string,
      stage: number,
      approver: string,
      sentAt: Date,
      messageId: string,
    ) => {
      await document.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keyOf(requestId, stage),
          UpdateExpression:
            "SET links.#approver.mailSentAt = :sentAt, links.#approver.messageId = :messageId",
          ExpressionAttributeNames: { "#approver": approver },
          ExpressionAttributeValues: { ":sentAt": sentAt.toISOString(), ":messageId": messageId },
        }),
      );
    },

    /**
     * Records the approvers an escalation added to the stage, so they hear how the request ended. The
     * stage's own mailing must exist: false while its ApprovalStageStarted has not been handled yet.
     */
    addEscalated: (requestId: string, stage: number, approvers: readonly string[]): Promise<boolean> =>
      whetherConditionHeld(
        document.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keyOf(requestId, stage),
            UpdateExpression: "ADD escalatedTo :approvers",
            ConditionExpression: "attribute_exists(requestId)",
            ExpressionAttributeValues: { ":approvers": new Set(approvers) },
          }),
        ),
      ),

    /**
     * Sends one approver's mail of a stage's reminder or escalation once (`key` names the approval, the
     * stage, the reminder and the approver), however often its event is delivered.
     */
    sendFollowUpOnce: (kind: "reminder" | "escalation", key: string, send: () => Promise<string>) =>
      idempotency.runOnce({ name: kind, key }, send),

    /**
     * Sends one approver's closure email of an approval (approvalKeyOf: the request's, or a round's) once,
     * however often its outcome is delivered and in however many stages they were asked. Resolves to the
     * message id, the recorded one when an earlier delivery sent it.
     */
    sendClosureOnce: (approvalKey: string, approver: string, send: () => Promise<string>) =>
      idempotency.runOnce({ name: "closure", key: `${approvalKey}/${approver}` }, send),
  };
};

export type MailingStore = ReturnType<typeof createMailingStore>;
