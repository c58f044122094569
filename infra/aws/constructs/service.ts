import { CfnOutput, Duration, Stack } from "aws-cdk-lib";
import { type HttpApi, HttpMethod, type IHttpRouteAuthorizer } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { IUserPool } from "aws-cdk-lib/aws-cognito";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { type EventPattern, type IEventBus, Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { Grant, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { producersOf } from "../../../events/contract.ts";
import type { EventPattern as CatalogPattern } from "../../../events/patterns.ts";
import type {
  HandlerRef,
  HandlerUses,
  HttpRoute,
  Publication,
  ServiceManifest,
  ServiceName,
  SettingName,
  Subscription,
} from "../../../services/shared/manifest.ts";
import { SIGN_IN_SETTINGS } from "../../../services/shared/manifest.ts";
import { type EmbeddedPolicies, embedPolicies } from "../../../services/shared/policies.ts";
import type { ScheduleSettings } from "../../../services/shared/schedules.ts";
import {
  ec2DescribeStatements,
  ec2LaunchStatements,
  ec2ReleaseStatements,
  type LaunchSettings,
} from "../ec2-permissions.ts";
import { acknowledge, type ExplainedStatement, explainedPolicy } from "../nag.ts";
import {
  type RdsLaunchSettings,
  rdsCreateStatements,
  rdsDescribeStatements,
  rdsReleaseStatements,
} from "../rds-permissions.ts";
import { type BucketLaunchSettings, s3CreateStatements, s3ReleaseStatements } from "../s3-permissions.ts";
import { functionIdOf, HandlerFunction, type Invocation } from "./handler-function.ts";
import type { SesSending } from "./ses.ts";

/** Where the handlers `needs.chat` names read Slack's and Teams' settings (docs/CHAT.md). */
export interface ChatResources {
  /** The operator's secret holding `{slackBotToken, slackSigningSecret, teamsWebhookUrl}` (CHAT_SECRET_ARN). */
  secretArn: string;
  /** The customer managed KMS key encrypting the secret; absent, Secrets Manager's own key does. */
  secretKeyArn?: string;
  /** A channel that also gets every approval request (SLACK_APPROVALS_CHANNEL). */
  approvalsChannel?: string;
}

/** What the stack shares with every service; each service takes only what its manifest names. */
export interface SharedResources {
  /** Buses by the name subscriptions use (the approvals bus and the account's default bus). */
  buses: ReadonlyMap<string, IEventBus>;
  /** The approvals bus, the one services publish to. */
  publishBus: IEventBus;
  /** Every table, by its spec id. */
  tables: ReadonlyMap<string, ITable>;
  hmacKey: ISecret;
  sender: SesSending;
  /** The account's SES is in the sandbox, where sending also needs permission on each recipient's identity. */
  sesSandbox: boolean;
  /** Setting values by environment variable; absent ones are left out of the environment. */
  settings: Readonly<Record<SettingName, string | undefined>>;
  launchSettings: LaunchSettings;
  rdsLaunchSettings: RdsLaunchSettings;
  bucketLaunchSettings: BucketLaunchSettings;
  /** The reserved concurrency of each launcher's creating function: how many launches run at once. */
  launcherConcurrency: number;
  api: HttpApi;
  /** Checks the access token of every signed-in route before its function runs. */
  signedInAuthorizer: IHttpRouteAuthorizer;
  /** What CloudFront sends in ORIGIN_VERIFY_HEADER; the HTTP functions refuse requests without it. */
  originVerifySecret: string;
  /** Where the identity provider keeps its users and groups: what `needs.directory` reads. */
  userPool: IUserPool;
  /** The deployment's policy file, checked at synth: embedded in the bundles of `needs.policies`. */
  approvalPolicies: EmbeddedPolicies;
  /** Absent: the deployment names no chat secret, chat is off and no function may read one. */
  chat?: ChatResources;
  /** The stack's schedules (constructs/schedules.ts), made when some service declares `needs.schedules`. */
  schedules?: { readonly settings: ScheduleSettings; grantTo(fn: HandlerFunction): void };
}

export interface ServiceProps {
  manifest: ServiceManifest;
  shared: SharedResources;
}

export class ManifestWiringError extends Error {
  override readonly name = "ManifestWiringError";
}

export class UnknownBusError extends Error {
  override readonly name = "UnknownBusError";
}

export class UnknownTableError extends Error {
  override readonly name = "UnknownTableError";
}

/**
 * How EventBridge retries delivering to a consumer (throttling, an unavailable function) before the
 * event goes to the consumer's dead-letter queue. A handler that throws is retried by Lambda itself
 * (twice, its asynchronous default) and then sent to the same queue.
 */
export const TARGET_RETRY = { maxEventAge: Duration.hours(6), retryAttempts: 24 } as const;

/** Long enough for an operator back from a weekend and a holiday to look at what failed. */
export const DEAD_LETTER_RETENTION = Duration.days(14);

/** What a handler that only reads a table does with it: gets and queries, never a Scan. */
const READ_ACTIONS = ["dynamodb:GetItem", "dynamodb:Query"];

/**
 * What a handler that writes a table does with its items: conditional puts and updates besides reading.
 * None deletes, so no role can erase a record (the audit trail stays append-only).
 */
const WRITE_ACTIONS = [...READ_ACTIONS, "dynamodb:PutItem", "dynamodb:UpdateItem"];

/**
 * What Powertools Idempotency does with its records, and nothing more: claims an effect with a
 * conditional put, reads the claim it lost to, records the result with an update, and deletes the
 * claim of an effect that failed so the retry can run it (the only delete any role may make).
 */
const IDEMPOTENCY_TABLE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
];

const INDEX_ACTIONS = ["dynamodb:Query"];

/** What services/shared/directory.ts asks of the user pool: who is in a group, who has an address, their groups. */
const DIRECTORY_ACTIONS = [
  "cognito-idp:ListUsersInGroup",
  "cognito-idp:ListUsers",
  "cognito-idp:AdminListGroupsForUser",
];

const HTTP_METHODS: Record<HttpRoute["method"], HttpMethod> = {
  GET: HttpMethod.GET,
  HEAD: HttpMethod.HEAD,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
  DELETE: HttpMethod.DELETE,
};

/** The catalog writes patterns as EventBridge reads them; CDK spells `detail-type` as `detailType`. */
export const toCdkPattern = ({ "detail-type": detailType, ...rest }: CatalogPattern): EventPattern =>
  ({ ...rest, ...(detailType === undefined ? {} : { detailType }) }) as EventPattern;

/**
 * In the SES sandbox, SES authorizes a send against every recipient's identity as well as the sender's;
 * recipients there must be verified identities of the account anyway.
 */
const sesSandboxRecipientsStatement = (scope: Construct): ExplainedStatement => ({
  statement: new PolicyStatement({
    sid: "SendToVerifiedRecipientsInTheSesSandbox",
    actions: ["ses:SendEmail", "ses:SendRawEmail"],
    resources: [Stack.of(scope).formatArn({ service: "ses", resource: "identity", resourceName: "*" })],
  }),
  wildcardReason:
    "Only while the account's SES is in the sandbox (sesSandbox=true): recipients are the account's verified identities, which SES authorizes one by one",
});

/** The Price List API has no resources to name: GetProducts is allowed on `*` or not at all. */
const pricingStatement = (): ExplainedStatement => ({
  statement: new PolicyStatement({
    sid: "ReadPublicListPrices",
    actions: ["pricing:GetProducts"],
    resources: ["*"],
  }),
  wildcardReason:
    "The AWS Price List API supports no resource-level permissions; GetProducts only reads AWS's public list prices",
});

/**
 * The detail-types a function (or Scheduler, for a service) may publish under each source. A PutEvents
 * call is allowed only when every entry's source and detail-type are in one of these (ForAllValues: a
 * call carries many entries).
 */
export const publishConditionsOf = (
  service: ServiceName,
  publications: readonly Publication[],
): Record<string, Record<string, string[]>>[] => {
  const detailTypesBySource = new Map<string, string[]>();
  for (const { contract, source } of publications) {
    if (!contract.openToAnySource && !producersOf(contract).includes(source))
      throw new ManifestWiringError(
        `${service} declares it publishes ${contract.detailType} as ${source}, not its producer`,
      );
    detailTypesBySource.set(source, [...(detailTypesBySource.get(source) ?? []), contract.detailType]);
  }
  return [...detailTypesBySource].map(([source, detailTypes]) => ({
    "ForAllValues:StringEquals": { "events:source": [source], "events:detail-type": detailTypes },
  }));
};

const sameHandler = (a: HandlerRef, b: HandlerRef) => a.entry === b.entry && a.exportName === b.exportName;

/**
 * One service on AWS: a function per handler it declares, a rule per subscription (each target with a
 * retry policy and a dead-letter queue), its HTTP routes, and each function's grants from the manifest.
 */
export class Service extends Construct {
  /** The service's functions, by the construct id derived from the handler's module. */
  readonly functions = new Map<string, HandlerFunction>();
  /** A rule per subscription, with the subscription it was made from. */
  readonly rules: { rule: Rule; subscription: Subscription }[] = [];
  /** Each event consumer's dead-letter queue, by the id of its function. */
  readonly deadLetterQueues = new Map<string, Queue>();
  readonly name: ServiceName;
  readonly manifest: ServiceManifest;
  private readonly props: ServiceProps;

  constructor(scope: Construct, id: string, props: ServiceProps) {
    super(scope, id);
    this.props = props;
    this.manifest = props.manifest;
    this.name = props.manifest.name;
    const { manifest } = props;
    for (const subscription of manifest.subscriptions) this.subscribe(subscription);
    if (manifest.http) this.serve(manifest.http);
    const stray = manifest.uses.find(({ handler }) => !this.functions.has(functionIdOf(handler)));
    if (stray)
      throw new ManifestWiringError(
        `${this.name} declares the uses of ${stray.handler.entry}, not one of its handlers`,
      );
  }

  /**
   * The service's routes on the HTTP API: the signed-in ones behind the JWT authorizer, the others open,
   * with the manifest's reason (their own checks, such as a decision link's token).
   */
  private serve({ handler, routes, access }: NonNullable<ServiceManifest["http"]>): void {
    const { manifest, shared } = this.props;
    const missing = SIGN_IN_SETTINGS.filter((setting) => !manifest.needs.settings.includes(setting));
    if (routes.some((route) => route.signedIn) && missing.length > 0)
      throw new ManifestWiringError(
        `${manifest.name} serves signed-in routes but its needs.settings lack ${missing.join(", ")}`,
      );
    const fn = this.functionFor(handler, "http", `${manifest.name}: HTTP routes`);
    // One invoke permission for the function from this API, not one per route: the API routes only the
    // routes declared here to it, and the stack stays well under CloudFormation's 500 resources.
    const integration = new HttpLambdaIntegration(`${functionIdOf(handler)}-integration`, fn.function, {
      scopePermissionToRoute: false,
    });
    const groups = new Map<string, HttpRoute[]>();
    for (const route of routes) {
      const key = `${route.path} ${route.signedIn}`;
      groups.set(key, [...(groups.get(key) ?? []), route]);
    }
    for (const [first, ...rest] of groups.values()) {
      if (!first) continue;
      const added = shared.api.addRoutes({
        path: first.path,
        methods: [first, ...rest].map((route) => HTTP_METHODS[route.method]),
        integration,
        authorizer: first.signedIn ? shared.signedInAuthorizer : undefined,
      });
      if (!first.signedIn) for (const route of added) acknowledge(route, "AwsSolutions-APIG4", access);
    }
  }

  private subscribe(subscription: Subscription): void {
    const deadLetters = this.deadLetterQueueFor(subscription.handler);
    const fn = this.functionFor(subscription.handler, "event", subscription.description, deadLetters);
    this.outputRedriveTarget(subscription.handler, deadLetters, fn);
    const target = new LambdaFunction(fn.function, { deadLetterQueue: deadLetters, ...TARGET_RETRY });
    const description = subscription.description.slice(0, 512);
    if (subscription.kind === "schedule") {
      const rule = new Rule(this, subscription.name, {
        description,
        schedule: Schedule.expression(subscription.schedule),
        targets: [target],
      });
      this.rules.push({ rule, subscription });
      return;
    }
    const eventBus = this.props.shared.buses.get(subscription.eventBusName);
    if (!eventBus)
      throw new UnknownBusError(
        `${subscription.name} subscribes to an unknown bus: ${subscription.eventBusName}`,
      );
    const rule = new Rule(this, subscription.name, {
      description,
      eventBus,
      eventPattern: toCdkPattern(subscription.pattern),
      targets: [target],
    });
    this.rules.push({ rule, subscription });
  }

  /** Where an operator finds a consumer's dead letters and the function to hand them back to. */
  private outputRedriveTarget(handler: HandlerRef, deadLetters: Queue, fn: HandlerFunction): void {
    const id = `${functionIdOf(handler)}-dead-letters-url`;
    if (this.node.tryFindChild(id)) return;
    const name = `${this.props.manifest.name} ${functionIdOf(handler)}`;
    new CfnOutput(this, id, { value: deadLetters.queueUrl, description: `Dead letters of ${name}` });
    new CfnOutput(this, `${functionIdOf(handler)}-function-name`, {
      value: fn.function.functionName,
      description: `The function of ${name}, to redrive its dead letters to`,
    });
  }

  /** One queue per consumer function: events EventBridge could not deliver and invocations that kept failing. */
  private deadLetterQueueFor(handler: HandlerRef): Queue {
    const id = `${functionIdOf(handler)}-dead-letters`;
    const existing = this.node.tryFindChild(id);
    if (existing instanceof Queue) return existing;
    const queue = new Queue(this, id, {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    const reason = `This queue is itself the dead-letter queue of ${this.props.manifest.name}'s ${functionIdOf(handler)} (EventBridge target and Lambda async failures); messages are redriven by an operator, not by another queue`;
    acknowledge(queue, "Serverless-SQSRedrivePolicy", reason);
    this.deadLetterQueues.set(functionIdOf(handler), queue);
    return queue;
  }

  private functionFor(
    handler: HandlerRef,
    invocation: Invocation,
    description: string,
    deadLetterQueue?: Queue,
  ): HandlerFunction {
    const id = functionIdOf(handler);
    const existing = this.functions.get(id);
    if (existing) return existing;
    const fn = new HandlerFunction(this, id, {
      service: this.props.manifest.name,
      handler,
      invocation,
      description,
      environment: this.environment(handler, invocation),
      deadLetterQueue,
      reservedConcurrency: this.creates(handler) ? this.props.shared.launcherConcurrency : undefined,
      define: this.props.manifest.needs.policies
        ? embedPolicies(this.props.shared.approvalPolicies)
        : undefined,
    });
    this.grant(fn, handler);
    if (invocation === "http") {
      acknowledge(
        fn.function,
        "Serverless-LambdaDLQ",
        "Invoked synchronously by API Gateway: a failure is answered to the caller, there is no event to keep",
      );
    }
    this.functions.set(id, fn);
    return fn;
  }

  private environment(handler: HandlerRef, invocation: Invocation): Record<string, string> {
    const { manifest, shared } = this.props;
    const { needs } = manifest;
    const environment: Record<string, string> = {};
    if (manifest.publishes.length > 0) environment.EVENT_BUS_NAME = shared.publishBus.eventBusName;
    for (const spec of manifest.tables) environment[spec.tableNameEnv] = this.table(spec.id).tableName;
    for (const setting of needs.settings) {
      const value = shared.settings[setting];
      if (value !== undefined) environment[setting] = value;
    }
    if (needs.sendsEmail)
      environment.SES_CONFIGURATION_SET = shared.sender.configurationSet.configurationSetName;
    if (needs.readsHmacKey) environment.HMAC_SECRET_ARN = shared.hmacKey.secretArn;
    if (needs.schedules) Object.assign(environment, this.schedules().settings);
    if (needs.directory) environment.USER_POOL_ID = shared.userPool.userPoolId;
    const chat = this.chatOf(handler);
    if (chat) {
      environment.CHAT_SECRET_ARN = chat.secretArn;
      if (chat.approvalsChannel) environment.SLACK_APPROVALS_CHANNEL = chat.approvalsChannel;
    }
    if (invocation === "http") environment.ORIGIN_VERIFY_SECRET = shared.originVerifySecret;
    return environment;
  }

  private grant(fn: HandlerFunction, handler: HandlerRef): void {
    const { manifest, shared } = this.props;
    const { needs } = manifest;
    const grantee = fn.function;
    const uses = this.usesOf(handler);
    const reached = [
      ...(uses.reads ?? []).map((spec) => ({ spec, actions: READ_ACTIONS })),
      ...(uses.writes ?? []).map((spec) => ({
        spec,
        actions: spec.holdsIdempotencyRecords ? IDEMPOTENCY_TABLE_ACTIONS : WRITE_ACTIONS,
      })),
    ];
    for (const { spec, actions } of reached) {
      const { tableArn } = this.ownTable(spec.id);
      Grant.addToPrincipal({ grantee, actions, resourceArns: [tableArn] });
      // Each index by name rather than `index/*`: a role reaches only the indexes its table declares.
      const indexArns = (spec.globalIndexes ?? []).map((index) => `${tableArn}/index/${index.indexName}`);
      if (indexArns.length > 0)
        Grant.addToPrincipal({ grantee, actions: INDEX_ACTIONS, resourceArns: indexArns });
    }
    for (const conditions of publishConditionsOf(this.name, this.publicationsOf(uses))) {
      Grant.addToPrincipal({
        grantee,
        actions: ["events:PutEvents"],
        resourceArns: [shared.publishBus.eventBusArn],
        conditions,
      });
    }
    if (needs.sendsEmail) shared.sender.grantSendEmail(grantee);
    if (needs.sendsEmail && shared.sesSandbox) {
      explainedPolicy(fn, "SesSandboxRecipients", fn.role, [sesSandboxRecipientsStatement(this)]);
    }
    if (needs.readsHmacKey) shared.hmacKey.grantRead(grantee);
    if (needs.schedules) this.schedules().grantTo(fn);
    if (needs.directory) shared.userPool.grant(grantee, ...DIRECTORY_ACTIONS);
    // The secret is the operator's, not the stack's: it is read by ARN, and nothing else of it is granted.
    const chat = this.chatOf(handler);
    if (chat) {
      const { secretArn, secretKeyArn } = chat;
      Grant.addToPrincipal({
        grantee,
        actions: ["secretsmanager:GetSecretValue"],
        resourceArns: [secretArn],
      });
      if (secretKeyArn)
        Grant.addToPrincipal({
          grantee,
          actions: ["kms:Decrypt"],
          resourceArns: [secretKeyArn],
          conditions: {
            StringEquals: { "kms:ViaService": `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
          },
        });
    }
    // EC2 offers no grant methods: these are policies of their own, each wildcard explained.
    if (needs.ec2?.launch.some((launcher) => sameHandler(launcher, handler))) {
      explainedPolicy(fn, "Ec2Launch", fn.role, ec2LaunchStatements(this, shared.launchSettings));
    }
    if (needs.ec2?.describe.some((describer) => sameHandler(describer, handler))) {
      explainedPolicy(fn, "Ec2Describe", fn.role, ec2DescribeStatements());
    }
    if (needs.ec2?.release?.some((releaser) => sameHandler(releaser, handler))) {
      explainedPolicy(fn, "Ec2Release", fn.role, ec2ReleaseStatements(this, shared.launchSettings));
    }
    if (needs.rds?.create.some((creator) => sameHandler(creator, handler))) {
      explainedPolicy(fn, "RdsCreate", fn.role, rdsCreateStatements(this, shared.rdsLaunchSettings));
    }
    if (needs.rds?.describe.some((describer) => sameHandler(describer, handler))) {
      const { regions } = shared.rdsLaunchSettings;
      explainedPolicy(fn, "RdsDescribe", fn.role, rdsDescribeStatements(this, regions));
    }
    if (needs.rds?.release?.some((releaser) => sameHandler(releaser, handler))) {
      explainedPolicy(fn, "RdsRelease", fn.role, rdsReleaseStatements(this, shared.rdsLaunchSettings));
    }
    if (needs.s3?.create.some((creator) => sameHandler(creator, handler))) {
      explainedPolicy(fn, "S3Create", fn.role, s3CreateStatements(this, shared.bucketLaunchSettings));
    }
    if (needs.s3?.release?.some((releaser) => sameHandler(releaser, handler))) {
      explainedPolicy(fn, "S3Release", fn.role, s3ReleaseStatements(this, shared.bucketLaunchSettings));
    }
    if (needs.pricing) explainedPolicy(fn, "Pricing", fn.role, [pricingStatement()]);
  }

  /** What the manifest declares the handler uses: every handler declares it, once. */
  private usesOf(handler: HandlerRef): HandlerUses {
    const declared = this.props.manifest.uses.filter((uses) => sameHandler(uses.handler, handler));
    if (declared.length !== 1)
      throw new ManifestWiringError(
        `${this.name} declares the uses of ${handler.entry} ${declared.length} times, not once`,
      );
    const [uses] = declared as [HandlerUses];
    const both = (uses.reads ?? []).find((read) => uses.writes?.some((written) => written.id === read.id));
    if (both)
      throw new ManifestWiringError(
        `${handler.entry} lists ${both.id} in reads and writes: writing includes reading`,
      );
    return uses;
  }

  /** The handler's events, under the sources its service publishes them as: only events its service declares. */
  private publicationsOf({ handler, publishes = [] }: HandlerUses): Publication[] {
    return publishes.map((contract) => {
      const publication = this.props.manifest.publishes.find((declared) => declared.contract === contract);
      if (!publication)
        throw new ManifestWiringError(
          `${handler.entry} publishes ${contract.detailType}, which ${this.name} does not declare it publishes`,
        );
      return publication;
    });
  }

  /** Whether the handler creates resources for requests: an EC2, RDS or S3 launcher's launch. */
  private creates(handler: HandlerRef): boolean {
    const { ec2, rds, s3 } = this.props.manifest.needs;
    return [...(ec2?.launch ?? []), ...(rds?.create ?? []), ...(s3?.create ?? [])].some((creator) =>
      sameHandler(creator, handler),
    );
  }

  /** Where the handler reads the chat settings: only if it talks to chat and the deployment turns chat on. */
  private chatOf(handler: HandlerRef): ChatResources | undefined {
    const talks = this.props.manifest.needs.chat?.handlers.some((talker) => sameHandler(talker, handler));
    return talks ? this.props.shared.chat : undefined;
  }

  private schedules(): NonNullable<SharedResources["schedules"]> {
    const { schedules } = this.props.shared;
    if (!schedules)
      throw new ManifestWiringError(`${this.name} declares needs.schedules but the stack made no schedules`);
    return schedules;
  }

  /** One of the service's own tables: a handler may use no other service's. */
  private ownTable(id: string): ITable {
    if (!this.props.manifest.tables.some((spec) => spec.id === id))
      throw new ManifestWiringError(`${this.name} uses ${id}, a table it does not own`);
    return this.table(id);
  }

  private table(id: string): ITable {
    const table = this.props.shared.tables.get(id);
    if (!table) throw new UnknownTableError(`${this.props.manifest.name} declares an unknown table: ${id}`);
    return table;
  }
}
