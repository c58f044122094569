import type { HttpSurface, Subscription } from "../subscription.ts";
import { DECISION_PATHS } from "./domain.ts";

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

export const httpSurface: HttpSurface = {
  service: "decision",
  routes: Object.values(DECISION_PATHS).flatMap((path) =>
    (["GET", "HEAD", "POST"] as const).map((method) => ({ method, path })),
  ),
  handler: { entry: "services/decision/http-handler.ts", exportName: "handler" },
  app: "services/decision/http.ts",
};
