import { APPROVALS_BUS } from "../../events/contract.ts";
import { producedBy } from "../../events/patterns.ts";
import type { Subscription } from "../shared/manifest.ts";
import { NOTIFIABLE_EVENTS } from "../shared/request-news.ts";

export const subscriptions: Subscription[] = [
  {
    kind: "event",
    name: "notifier-on-request-news",
    service: "notifier",
    description:
      "Emails the requester when their request is invalid, approved (by people or a policy), rejected or refused, expired, provisioned or failed, and confirms their withdrawal of it; before its lease ends (with links to extend it and release it now), when an extension is granted or refused, and when the resource is released or its release failed (which the operators are told too); each event only from its producers.",
    eventBusName: APPROVALS_BUS,
    pattern: producedBy(...NOTIFIABLE_EVENTS),
    handler: { entry: "services/notifier/handlers/on-request-news.ts", exportName: "handler" },
  },
];
