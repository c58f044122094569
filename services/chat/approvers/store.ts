import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { ExtensionRef, LeaseTerms } from "../../../events/lease.ts";
import type { AcceptedRequest } from "../../../events/request.ts";
import type { StageOfRequest } from "../../shared/approval-asks.ts";
import { queryAll, whetherConditionHeld } from "../../shared/dynamo.ts";
import type { Idempotency } from "../../shared/idempotency.ts";
import { messagesTable } from "../tables.ts";

/**
 * What chat knows of one approval (approvalKeyOf: the request's, or an extension round's), in one
 * partition of the chat-messages table: the approval (`approval`), each stage (`stage#<i>`), each vote
 * (`vote#<i>#<approver>`) and each message that asks about it (`message#<i>#<recipient>`). Every event
 * of the approval adds its fact, then every message is rendered again from all of them: the facts
 * arrive in any order and any number of times, and each write of one is idempotent.
 */

/** The approvals channel's message, where an approver's address names theirs. */
export const CHANNEL_RECIPIENT = "channel";

export interface ApprovalFacts {
  requestId: string;
  request: AcceptedRequest;
  lease?: LeaseTerms | undefined;
  extension?: ExtensionRef | undefined;
}

/** How the approval ended, in words: "Approved by ana@example.com", and when. */
export interface Closure {
  outcome: string;
  at: string;
  /** The rejecting person's reason, shown beside the outcome (a policy's is in its words). */
  reason?: string | undefined;
}

export interface StageFacts {
  stage: StageOfRequest;
  quorum: number;
  expiresAt: string;
  /** When the stage reached its quorum (ApprovalStageCompleted). */
  completedAt?: string | undefined;
}

export interface Vote {
  stage: number;
  approver: string;
  onBehalfOf?: string | undefined;
  action: "approve" | "reject";
  reason?: string | undefined;
  /** The stage's approvals counted once this vote was. */
  approvals: number;
  quorum: number;
  votedAt: string;
}

/** A message that asks about the approval, as it was drafted before it was posted. */
export interface MessageDraft {
  stage: number;
  /** The approver's address (lower-cased), or CHANNEL_RECIPIENT. */
  recipient: string;
  onBehalfOf?: string | undefined;
  /** Asked because the stage's escalation added them (ApprovalEscalated). */
  escalation?: boolean | undefined;
}

/** A posted message: where it is, and a digest of what it shows (blocks.ts `digestOf`). */
export interface PostedMessage extends MessageDraft {
  channel: string;
  ts: string;
  shown: string;
}

/** Everything the partition holds: absent parts not known yet (the facts come in any order). */
export interface ApprovalState {
  approvalKey: string;
  approval?: ApprovalFacts | undefined;
  closure?: Closure | undefined;
  stages: Map<number, StageFacts>;
  votes: Vote[];
  messages: PostedMessage[];
  /** The items (sort keys) without a time to be deleted: all of them until the approval closes. */
  kept: string[];
}

const DELETE_AFTER = messagesTable.timeToLiveAttribute;

/** How long an approval's items outlive its closing: a late event still finds its messages. */
const KEPT_AFTER_CLOSING_SECONDS = 90 * 24 * 60 * 60;

/** When the items of an approval closed at `closedAt` may go (epoch seconds, as DynamoDB's TTL reads it). */
export const deleteAfterOf = (closedAt: string): number =>
  Math.floor(Date.parse(closedAt) / 1000) + KEPT_AFTER_CLOSING_SECONDS;

/** What posting a message came to, recorded once per message (see `askOnce`): Slack's code if it refused it for good. */
export type AskOutcome =
  | { posted: { channel: string; ts: string; shown: string } }
  | { notOnSlack: true }
  | { undeliverable: string };

const APPROVAL_ITEM = "approval";
const stageItem = (index: number) => `stage#${index}`;
const voteItem = (stage: number, approver: string) => `vote#${stage}#${approver}`;
const messageItem = ({ stage, recipient }: Pick<MessageDraft, "stage" | "recipient">) =>
  `message#${stage}#${recipient}`;

type Item = { approvalKey: string; item: string } & Record<string, unknown>;

export const createApprovalMessageStore = (
  tableName: string,
  document: DynamoDBDocumentClient,
  idempotency: Idempotency,
) => {
  /** Sets these fields of an item, creating it if need be; `keep` ones only where they are not set yet. */
  const merge = (approvalKey: string, item: string, set: Record<string, unknown>, keep: string[] = []) => {
    const fields = Object.entries(set).filter(([, value]) => value !== undefined);
    return document.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { approvalKey, item },
        UpdateExpression: `SET ${fields
          .map(([name], index) =>
            keep.includes(name)
              ? `#f${index} = if_not_exists(#f${index}, :v${index})`
              : `#f${index} = :v${index}`,
          )
          .join(", ")}`,
        ExpressionAttributeNames: Object.fromEntries(fields.map(([name], index) => [`#f${index}`, name])),
        ExpressionAttributeValues: Object.fromEntries(
          fields.map(([, value], index) => [`:v${index}`, value]),
        ),
      }),
    );
  };

  return {
    /** A stage asks: the approval as the event carries it, and the stage (its completion kept). */
    recordAsked: async (
      approvalKey: string,
      approval: ApprovalFacts,
      stage: Omit<StageFacts, "completedAt">,
    ) => {
      await merge(approvalKey, APPROVAL_ITEM, { ...approval });
      await merge(approvalKey, stageItem(stage.stage.index), { ...stage });
    },

    recordStageCompleted: async (approvalKey: string, index: number, completedAt: string) => {
      await merge(approvalKey, stageItem(index), { completedAt }, ["completedAt"]);
    },

    /** One approver's vote in a stage, counted once by decision: a redelivery writes the same item. */
    recordVote: async (approvalKey: string, vote: Vote) => {
      await document.send(
        new PutCommand({
          TableName: tableName,
          Item: { approvalKey, item: voteItem(vote.stage, vote.approver), ...vote },
        }),
      );
    },

    /** The outcome, the first one recorded kept; the approval too, which an ask may not have recorded. */
    recordClosure: async (approvalKey: string, approval: ApprovalFacts, closure: Closure) => {
      await merge(approvalKey, APPROVAL_ITEM, { ...approval, closure }, ["closure"]);
    },

    /** The whole partition, read consistently: what every message is rendered from. */
    stateOf: async (approvalKey: string): Promise<ApprovalState> => {
      const items = await queryAll<Item>(document, {
        TableName: tableName,
        KeyConditionExpression: "approvalKey = :approvalKey",
        ExpressionAttributeValues: { ":approvalKey": approvalKey },
        ConsistentRead: true,
      });
      const state: ApprovalState = { approvalKey, stages: new Map(), votes: [], messages: [], kept: [] };
      for (const { approvalKey: _key, item, [DELETE_AFTER]: deleteAfter, ...fields } of items) {
        if (deleteAfter === undefined) state.kept.push(item);
        if (item === APPROVAL_ITEM) {
          const { closure, ...approval } = fields as Partial<ApprovalFacts> & { closure?: Closure };
          state.closure = closure;
          if (approval.request) state.approval = approval as ApprovalFacts;
        } else if (item.startsWith("stage#")) {
          const stage = fields as unknown as StageFacts;
          state.stages.set(stage.stage.index, stage);
        } else if (item.startsWith("vote#")) {
          state.votes.push(fields as unknown as Vote);
        } else if (item.startsWith("message#")) {
          state.messages.push(fields as unknown as PostedMessage);
        }
      }
      state.votes.sort((a, b) => a.votedAt.localeCompare(b.votedAt));
      return state;
    },

    /**
     * Posts one message once per approval, stage and recipient, however often its event is delivered:
     * Powertools claims it (a conditional put) before `post` runs and records what it came to after,
     * which later deliveries get back instead of posting. A crash (or a timeout) after Slack accepted
     * the message and before that record leaves the claim until the invocation's deadline, and a later
     * delivery then posts again: a rare duplicate, chosen over losing the message to the same crash.
     */
    askOnce: (approvalKey: string, draft: MessageDraft, post: () => Promise<AskOutcome>) =>
      idempotency.runOnce({ name: "slack-ask", key: `${approvalKey}/${messageItem(draft)}` }, post),

    /** Where a posted message is, unless an earlier delivery recorded it (and maybe updated it since). */
    recordMessage: async (approvalKey: string, message: PostedMessage): Promise<void> => {
      await whetherConditionHeld(
        document.send(
          new PutCommand({
            TableName: tableName,
            Item: { approvalKey, item: messageItem(message), ...message },
            ConditionExpression: "attribute_not_exists(approvalKey)",
          }),
        ),
      );
    },

    /** Gives these items of a closed approval their time to be deleted (deleteAfterOf its closing). */
    expire: async (approvalKey: string, items: readonly string[], closure: Closure): Promise<void> => {
      const deleteAfter = deleteAfterOf(closure.at);
      for (const item of items) await merge(approvalKey, item, { [DELETE_AFTER]: deleteAfter });
    },

    /** What a message shows now, after chat.update changed it. */
    recordShown: async (approvalKey: string, message: MessageDraft, shown: string): Promise<void> => {
      await merge(approvalKey, messageItem(message), { shown });
    },
  };
};

export type ApprovalMessageStore = ReturnType<typeof createApprovalMessageStore>;
