import type { EventPattern } from "../events/patterns.ts";

export type ServiceName = "intake" | "approval-mail" | "decision" | "ec2-launcher" | "notifier" | "audit";

/** Where a handler lives: a module (path from the repository root) and its exported function. */
export interface HandlerRef {
  entry: string;
  exportName: "handler";
}

interface SubscriptionBase {
  /** Unique across services: the rule name locally, the construct id on AWS. */
  name: string;
  service: ServiceName;
  description: string;
  handler: HandlerRef;
}

/** A rule on a bus: the pattern lives here and nowhere else. */
export interface EventSubscription extends SubscriptionBase {
  kind: "event";
  eventBusName: string;
  pattern: EventPattern;
}

/** A scheduled rule (EventBridge `rate(...)` expression), e.g. the expiry sweeper. */
export interface ScheduleSubscription extends SubscriptionBase {
  kind: "schedule";
  schedule: `rate(${string})`;
}

export type Subscription = EventSubscription | ScheduleSubscription;

export interface HttpRoute {
  method: "GET" | "POST" | "HEAD";
  /** API Gateway style path: `{id}` for a parameter. */
  path: string;
}

/** A service's HTTP surface: its routes and the Lambda handler (a Hono app behind `hono/aws-lambda`). */
export interface HttpSurface {
  service: ServiceName;
  routes: HttpRoute[];
  handler: HandlerRef;
  /** The module exporting the Hono app as `app`, mounted by the local runtime. */
  app: string;
}
