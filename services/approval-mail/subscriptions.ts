import { APPROVALS_BUS } from "../../events/contract.ts";
import { producedBy } from "../../events/patterns.ts";
import { RequestAccepted } from "../../events/request-accepted.ts";
import type { Subscription } from "../shared/manifest.ts";

export const subscriptions: Subscription[] = [
  {
    kind: "event",
    name: "approval-mail-on-request-accepted",
    service: "approval-mail",
    description: "Emails each approver an Approve and a Reject link for an accepted request.",
    eventBusName: APPROVALS_BUS,
    // Only intake accepts requests: a RequestAccepted from any other source is not acted on.
    pattern: producedBy(RequestAccepted),
    handler: { entry: "services/approval-mail/handlers/on-request-accepted.ts", exportName: "handler" },
  },
];
