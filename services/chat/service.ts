import { handlerOf, type ServiceManifest } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { idempotencyTable, messagesTable, tables } from "./tables.ts";

/**
 * Chat, a second channel beside email (docs/CHAT.md): Slack direct messages that ask approvers, with
 * Approve and Reject buttons (decision answers the clicks at POST /slack/interactions), the requester's
 * news as direct messages, and cards in a Teams channel. Off when nothing is set; never in the flow's way:
 * its failures are retried by the bus and dead-lettered, and email goes out regardless.
 */
export const service: ServiceManifest = {
  name: "chat",
  subscriptions,
  tables,
  publishes: [],
  uses: [
    // Each ask is posted once (an idempotency record), and where it went is kept with the approval.
    {
      handler: handlerOf(subscriptions, "chat-slack-ask-approvers"),
      writes: [messagesTable, idempotencyTable],
    },
    // Updating the messages needs no record: a redelivery updates them to the same.
    { handler: handlerOf(subscriptions, "chat-slack-update-approver-messages"), writes: [messagesTable] },
    { handler: handlerOf(subscriptions, "chat-slack-on-request-news"), writes: [idempotencyTable] },
    { handler: handlerOf(subscriptions, "chat-teams-cards"), writes: [idempotencyTable] },
  ],
  needs: {
    settings: ["PUBLIC_URL"],
    sendsEmail: false,
    readsHmacKey: false,
    directory: true,
    // Every one of its handlers posts to Slack or Teams.
    chat: { handlers: subscriptions.map((subscription) => subscription.handler) },
  },
};
