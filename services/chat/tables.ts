import { idempotencyTableSpec, type TableSpec } from "../shared/table-spec.ts";

/**
 * The records of chat's effects, so a redelivered event posts nothing twice: the requester's direct
 * messages and the Teams cards per event (its id, and the recipient), and the approvers' asks per
 * approval, stage and recipient (`slack-ask`), whichever event asks them.
 */
export const idempotencyTable = idempotencyTableSpec("chat-idempotency", "CHAT_IDEMPOTENCY_TABLE");

/**
 * The Slack messages that ask approvers (services/chat/approvers): per approval (approvalKeyOf: the
 * request's, or a round's), one item per message (stage and recipient: an approver's address, or the
 * approvals channel) saying where it is (channel and ts) and what it showed last, beside what the
 * messages show (the approval, its stages, its votes, its outcome: see approvers/store.ts), so every one
 * of them is updated when a vote is counted or the approval ends, however it was decided. Once the
 * approval closed, each item gets `deleteAfter` (epoch seconds), and DynamoDB deletes it then.
 */
export const messagesTable = {
  id: "chat-messages",
  tableNameEnv: "CHAT_MESSAGES_TABLE",
  partitionKey: { name: "approvalKey", type: "S" },
  sortKey: { name: "item", type: "S" },
  timeToLiveAttribute: "deleteAfter",
} as const satisfies TableSpec;

export const tables: TableSpec[] = [idempotencyTable, messagesTable];
