import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { DecisionAction } from "../shared/decision-token.ts";
import { requestTable, unlessConditionFails, whetherConditionHeld } from "../shared/dynamo.ts";
import type { Idempotency } from "../shared/idempotency.ts";

/** The links issued to one approver, by hash: more than one each if a mail had to be sent again. */
export interface IssuedLinks {
  approve: string[];
  reject: string[];
  mailSentAt?: string;
  messageId?: string;
}

/** Approvers were asked: the progress of their mails. */
export interface Mailing {
  kind: "MAILING";
  requestId: string;
  createdAt: string;
  approvers: string[];
  links: Record<string, IssuedLinks>;
  /** Whole seconds: the tokens carry epoch seconds, and every link of the request shares it. */
  expiresAt: string;
  /** The delivery sending the mails, and since when: a stale claim is taken over. */
  mailClaimId?: string;
  mailClaimedAt?: string;
}

/** Nobody but the requester could be asked; its RequestRejected is published once (effect "refusal"). */
export interface Refusal {
  kind: "REFUSAL";
  requestId: string;
  refusedAt: string;
}

export type MailingRecord = Mailing | Refusal;

/**
 * approval-mail's own table, the one place that knows its item layout. The first delivery of a
 * request's RequestAccepted settles, with a conditional put, whether approvers are asked or the request
 * is refused; later deliveries only carry on with what it settled.
 */
export const createMailingStore = (
  tableName: string,
  document: DynamoDBDocumentClient,
  idempotency: Idempotency,
) => {
  const { get, createIfAbsent, update } = requestTable<MailingRecord>(document, tableName);

  return {
    get,

    /** Creates the item unless one exists; false when an earlier delivery created it. */
    createIfAbsent,

    /**
     * Takes the mailing over from a delivery that died (its claim is older than `staleBefore`) or gave
     * the claim up, adding fresh link hashes for the approvers still without mail. The older hashes stay:
     * a mail that went out just before the crash keeps working links. Resolves to the mailing as it is
     * now, or undefined when another delivery holds a live claim.
     */
    takeOverMailing: async ({
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
      hashes: Record<string, Record<DecisionAction, string>>;
    }): Promise<Mailing | undefined> => {
      const names: Record<string, string> = { "#kind": "kind" };
      const values: Record<string, unknown> = {
        ":mailing": "MAILING",
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
        update({
          Key: { requestId },
          UpdateExpression: `SET ${sets.join(", ")}`,
          ConditionExpression: [
            "#kind = :mailing",
            "(attribute_not_exists(mailClaimId) OR mailClaimedAt < :staleBefore)",
            ...unsent,
          ].join(" AND "),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
        }),
      );
      return output?.Attributes as Mailing | undefined;
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
        UpdateExpression: "SET links.#approver.mailSentAt = :sentAt, links.#approver.messageId = :messageId",
        ExpressionAttributeNames: { "#approver": approver },
        ExpressionAttributeValues: { ":sentAt": sentAt.toISOString(), ":messageId": messageId },
      });
    },

    /** Publishes the refusal of a request once, however often its RequestAccepted is delivered. */
    publishRefusalOnce: (requestId: string, publish: () => Promise<string[]>) =>
      idempotency.runOnce({ name: "refusal", key: requestId }, publish),
  };
};

export type MailingStore = ReturnType<typeof createMailingStore>;
