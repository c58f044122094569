import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { producedBy } from "../../events/patterns.ts";
import { SesEmailBounced, SesEmailComplaintReceived } from "../../events/ses-feedback.ts";
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
  {
    kind: "event",
    name: "notifier-on-ses-feedback",
    service: "notifier",
    description:
      "Stops mailing an address SES reports as bouncing for good or complaining about an email (the stack's configuration set sends SES's feedback to the default bus).",
    eventBusName: DEFAULT_BUS,
    pattern: producedBy(SesEmailBounced, SesEmailComplaintReceived),
    handler: { entry: "services/notifier/handlers/on-ses-feedback.ts", exportName: "handler" },
  },
];
