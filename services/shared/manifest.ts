import type { RouteConfig } from "@hono/zod-openapi";
import { groupsAdmittedTo } from "../../api/access.ts";
import type { EventContract } from "../../events/contract.ts";
import type { EventPattern } from "../../events/patterns.ts";
import type { TableSpec } from "./table-spec.ts";

export type ServiceName =
  | "intake"
  | "approval-mail"
  | "decision"
  | "ec2-launcher"
  | "rds-launcher"
  | "s3-launcher"
  | "notifier"
  | "audit"
  | "delegation"
  | "lease"
  | "chat";

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

/** The methods the services' routes answer. */
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE"] as const;

export interface HttpRoute {
  method: (typeof HTTP_METHODS)[number];
  /** API Gateway style path: `{id}` for a parameter. */
  path: string;
  /**
   * Only signed-in callers may call it (the contract route admits groups): on AWS the JWT authorizer
   * turns away anyone without a valid access token before the function runs.
   */
  signedIn: boolean;
}

/**
 * The API Gateway route of a route of the HTTP contract (`api/contract.ts`), which declares it once,
 * who may call it included.
 */
export const routeOf = (route: RouteConfig): HttpRoute => {
  const method = HTTP_METHODS.find((served) => served === route.method.toUpperCase());
  if (method === undefined)
    throw new ManifestError(`${route.method} ${route.path}: no service serves this method`);
  return { method, path: route.path, signedIn: groupsAdmittedTo(route) !== undefined };
};

/** A service's HTTP surface: its routes and the Lambda handler (a Hono app behind `hono/aws-lambda`). */
export interface HttpSurface {
  service: ServiceName;
  routes: HttpRoute[];
  handler: HandlerRef;
  /** The module exporting the Hono app as `app`, mounted by the local runtime. */
  app: string;
}

/** Deployment settings a service's config reads from its environment, by variable name. */
export type SettingName =
  | "SENDER"
  | "APPROVAL_TTL_SECONDS"
  | "PUBLIC_URL"
  | "IMAGE_IDS"
  | "SECURITY_GROUP_IDS"
  | "DEFAULT_SUBNET_ID"
  | "ALLOWED_SUBNET_IDS"
  | "DECISIONS_REQUIRE_SIGN_IN"
  | "ALLOWED_REGIONS"
  | "DEFAULT_REGION"
  | "BUCKET_NAME_PREFIX"
  | "DB_SUBNET_GROUP_NAME"
  | "DB_SECURITY_GROUP_IDS"
  | "LEASE_DEFAULT"
  | "LEASE_MIN"
  | "LEASE_MAX"
  | "LEASE_REMINDERS"
  | "RELEASE_CHECK_DELAYS"
  | "DEPLOYMENT_NAME"
  | SignInSettingName;

/** Where a service that serves signed-in routes checks access tokens (services/shared/http-auth.ts). */
export const SIGN_IN_SETTINGS = ["AUTH_ISSUER", "AUTH_AUDIENCE", "AUTH_JWKS_URL"] as const;
export type SignInSettingName = (typeof SIGN_IN_SETTINGS)[number];

/** An event a service publishes, and the source it publishes it under: one of the contract's producers. */
export interface Publication {
  contract: EventContract;
  source: string;
}

/** Events a service publishes as their own producer, under the source the catalog gives each. */
export const asProducer = (...contracts: EventContract[]): Publication[] =>
  contracts.map((contract) => ({ contract, source: contract.source }));

/** Events a service publishes as one of their other producers, under its own source (e.g. each launcher). */
export const asOtherProducer = (source: string, ...contracts: EventContract[]): Publication[] =>
  contracts.map((contract) => ({ contract, source }));

export interface Ec2Grants {
  /** Handlers that launch instances (RunInstances, tagging at launch). */
  launch: readonly HandlerRef[];
  /** Handlers that only look instances up (DescribeInstances). */
  describe: readonly HandlerRef[];
  /**
   * Handlers that tag (ExpiresAt), stop and terminate the instances this stack launched, and only those
   * (granted on the stack's own tag); they describe them too.
   */
  release?: readonly HandlerRef[];
}

export interface RdsGrants {
  /** Handlers that create DB instances (CreateDBInstance with a managed master password, tagging). */
  create: readonly HandlerRef[];
  /** Handlers that only look DB instances up (DescribeDBInstances). */
  describe: readonly HandlerRef[];
  /** Handlers that tag and delete (with a final snapshot) the DB instances this stack created, and only those. */
  release?: readonly HandlerRef[];
}

export interface S3Grants {
  /** Handlers that create and configure buckets (CreateBucket, its public-access block, encryption, versioning, lifecycle, policy, tags). */
  create: readonly HandlerRef[];
  /** Handlers that tag, list and delete the buckets this stack created (under its bucket name prefix). */
  release?: readonly HandlerRef[];
}

export interface ChatGrants {
  /** Handlers that read the chat settings: only their functions hold the Slack app's credentials. */
  handlers: readonly HandlerRef[];
}

/** What the service's code needs beyond its own tables and the bus; each runtime grants exactly this. */
export interface ServiceNeeds {
  /** Deployment settings its config reads. */
  settings: readonly SettingName[];
  sendsEmail: boolean;
  /** The key that signs and verifies decision links. */
  readsHmacKey: boolean;
  ec2?: Ec2Grants;
  rds?: RdsGrants;
  s3?: S3Grants;
  /** It reads public list prices (the AWS Price List API's GetProducts; locally the edge's snapshot). */
  pricing?: boolean;
  /**
   * It has EventBridge Scheduler put its events on the bus later (services/shared/schedules.ts): its
   * functions get the stack's schedule group, the role and dead-letter queue schedules name, and the bus.
   */
  schedules?: boolean;
  /**
   * It asks the identity provider who is in which group (services/shared/directory.ts): on AWS its
   * functions may list the user pool's users and groups (USER_POOL_ID); locally they get LOCAL_USERS.
   */
  directory?: boolean;
  /**
   * It reads the approval policies (services/shared/policies.ts): on AWS the file checked at synth is
   * embedded in its bundles; locally APPROVAL_POLICIES names the file checked at start.
   */
  policies?: boolean;
  /**
   * It talks to Slack and Teams (services/shared/chat-settings.ts): on AWS the functions of these handlers
   * alone may read the chat secret (CHAT_SECRET_ARN) and get SLACK_APPROVALS_CHANNEL; locally the services
   * get SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, SLACK_APPROVALS_CHANNEL and TEAMS_WEBHOOK_URL.
   * Nothing set: chat is off.
   */
  chat?: ChatGrants;
}

/**
 * What one handler does with its service's tables and bus: on AWS its function may do exactly this and
 * no more. The local runtime ignores it: there every service runs in one process, under one set of
 * credentials, against stand-ins that check no permission.
 */
export interface HandlerUses {
  handler: HandlerRef;
  /** Tables it only reads: gets, and queries of the table and its indexes. */
  reads?: readonly TableSpec[];
  /** Tables it writes (conditional puts and updates) and reads. */
  writes?: readonly TableSpec[];
  /** The events it puts on the bus itself: some of its service's `publishes`, never those Scheduler puts. */
  publishes?: readonly EventContract[];
}

/**
 * What a service is, declared once: the CDK stack and the local runtime build its rules, tables,
 * routes, environment and permissions from this and from nothing else.
 */
export interface ServiceManifest {
  name: ServiceName;
  subscriptions: readonly Subscription[];
  /** The tables this service owns: only its own functions read or write them, as their `uses` say. */
  tables: readonly TableSpec[];
  http?: HttpSurface & {
    /**
     * Who may call the routes that are not signed-in and what protects them: the reason API Gateway
     * puts no authorizer on them.
     */
    access: string;
  };
  /**
   * Everything it publishes, under which source: the bus admits these sources from its functions and its
   * schedules alone. Each function may put only its own handler's `uses.publishes`.
   */
  publishes: readonly Publication[];
  /** One per handler, subscription or HTTP: the tables it reads or writes and the events it publishes. */
  uses: readonly HandlerUses[];
  needs: ServiceNeeds;
}

export class ManifestError extends Error {
  override readonly name = "ManifestError";
}

/** The handler of one of a service's own subscriptions, by name; a typo fails at synth and at start. */
export const handlerOf = (subscriptions: readonly Subscription[], name: string): HandlerRef => {
  const subscription = subscriptions.find((candidate) => candidate.name === name);
  if (!subscription) throw new ManifestError(`No subscription named ${name}`);
  return subscription.handler;
};
