import type { ServiceManifest } from "../shared/manifest.ts";
import { subscriptions } from "./subscriptions.ts";
import { tables } from "./tables.ts";

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
  needs: {
    settings: ["PUBLIC_URL"],
    sendsEmail: false,
    readsHmacKey: false,
    directory: true,
    // Every one of its handlers posts to Slack or Teams.
    chat: { handlers: subscriptions.map((subscription) => subscription.handler) },
  },
};
