import type { Subscription } from "../shared/manifest.ts";

export const subscriptions: Subscription[] = [
  {
    kind: "schedule",
    name: "decision-expire-sweeper",
    service: "decision",
    description:
      "Every minute: expires pending approvals past their deadline (RequestExpired) and publishes outcomes a crash left unpublished.",
    schedule: "rate(1 minute)",
    handler: { entry: "services/decision/handlers/expire-sweeper.ts", exportName: "handler" },
  },
];
