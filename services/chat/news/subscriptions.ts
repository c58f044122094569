import { APPROVALS_BUS } from "../../../events/contract.ts";
import { producedBy } from "../../../events/patterns.ts";
import type { Subscription } from "../../shared/manifest.ts";
import { NOTIFIABLE_EVENTS } from "../../shared/request-news.ts";
import { TEAMS_EVENTS } from "../teams/cards.ts";

/** The requester's news as Slack direct messages, and the Teams channel's cards. */
export const newsSubscriptions: Subscription[] = [
  {
    kind: "event",
    name: "chat-slack-on-request-news",
    service: "chat",
    description:
      "Tells the requester in a Slack direct message what the notifier emails them (each turn of their request, its lease's news), and each operator of a failed release; once per event and reader, and only to those with a Slack account.",
    eventBusName: APPROVALS_BUS,
    pattern: producedBy(...NOTIFIABLE_EVENTS),
    handler: { entry: "services/chat/handlers/slack-requester-news.ts", exportName: "handler" },
  },
  {
    kind: "event",
    name: "chat-teams-cards",
    service: "chat",
    description:
      "Posts a card to the Teams channel when a request (or an extension of its lease) waits for approval, when its approval ends (approved, rejected, expired, withdrawn) and when its resource is provisioned or failed; once per event, linking to the portal.",
    eventBusName: APPROVALS_BUS,
    pattern: producedBy(...TEAMS_EVENTS),
    handler: { entry: "services/chat/handlers/teams-cards.ts", exportName: "handler" },
  },
];
