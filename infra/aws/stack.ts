import { readFileSync } from "node:fs";
import { relative } from "node:path";
import {
  CfnOutput,
  CfnParameter,
  CfnRule,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Token,
} from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import { HttpApi, HttpStage, LogGroupLogDestination } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpJwtAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { AttributeType, BillingMode, Table } from "aws-cdk-lib/aws-dynamodb";
import { CfnArchive, EventBus } from "aws-cdk-lib/aws-events";
import { AccountPrincipal, AnyPrincipal, ArnPrincipal, Effect, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { PORTAL_SCOPE } from "../../api/portal-config.ts";
import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { ResourceRequested } from "../../events/resource-requested.ts";
import { imagesWith } from "../../services/ec2-launcher/domain.ts";
import { CREATION_TAG_KEYS } from "../../services/rds-launcher/domain.ts";
import { services as registry } from "../../services/registry.ts";
import type { ServiceManifest, SettingName } from "../../services/shared/manifest.ts";
import type { EmbeddedPolicies } from "../../services/shared/policies.ts";
import type {
  KeySpec,
  AttributeType as SpecAttributeType,
  TableSpec,
} from "../../services/shared/table-spec.ts";
import { Alarms } from "./constructs/alarms.ts";
import { functionIdOf, LOG_RETENTION } from "./constructs/handler-function.ts";
import { PORTAL_LOG_FIELDS, Portal } from "./constructs/portal.ts";
import { Schedules } from "./constructs/schedules.ts";
import { Service } from "./constructs/service.ts";
import { sesSendingOf } from "./constructs/ses.ts";
import { SignIn } from "./constructs/sign-in.ts";
import {
  type DeploymentContext,
  DeploymentContextError,
  deploymentRegionsOf,
  type PortalFirewall,
  type Publisher,
  placeholderAddressesOf,
  portalFirewallOf,
  stagedName,
} from "./context.ts";
import { acknowledge } from "./nag.ts";
import { REPO_ROOT } from "./paths.ts";

export interface ApprovalsStackProps extends StackProps {
  context: DeploymentContext;
  /** The built portal to upload (`portal/dist`). */
  portalDirectory: string;
  /** The services to deploy; the registry's unless a test gives others. */
  services?: readonly ServiceManifest[];
}

/** How long the bus keeps every event for replay. */
export const ARCHIVE_RETENTION_DAYS = 90;

/** Per-second limits of the HTTP API: well above a team's use, low enough to blunt a flood. */
export const API_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

/** The key that signs approval links, and CloudFront's secret for the API: 64 characters from the generator's alphabet. */
const SECRET_LENGTH = 64;

/** CloudFront takes web ACLs from this region only (WAF's `CLOUDFRONT` scope). */
export const CLOUDFRONT_WAF_REGION = "us-east-1";

/** The sources only the stack's own functions may publish under: the flow's own events. */
export const OWN_SOURCES = "approvals.*";

/** AWS's own services' sources: they reach buses without PutEvents, so nobody puts them. */
export const AWS_SOURCES = "aws.*";

/** The sources a service publishes its events under (its manifest's publications). */
export const sourcesPublishedBy = (manifest: ServiceManifest): string[] => [
  ...new Set(manifest.publishes.map(({ source }) => source)),
];

/**
 * A bus policy statement id naming a source. EventBridge takes letters, digits, `-` and `_` (CDK keeps
 * 64 characters), so outside sources also get their position, which keeps `acme.ci` and `acme-ci` apart.
 */
const statementIdOf = (prefix: string, source: string) =>
  `${prefix}-${source.replace(/[^A-Za-z0-9_-]/g, "-")}`;

const ATTRIBUTE_TYPES: Record<SpecAttributeType, AttributeType> = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
  B: AttributeType.BINARY,
};

const attributeOf = (key: KeySpec) => ({ name: key.name, type: ATTRIBUTE_TYPES[key.type] });

/** The HTTP API's first path segments (`/api`, `/decisions`), which CloudFront forwards to it. */
const apiPathPrefixesOf = (paths: readonly string[]) => [
  ...new Set(paths.map((path) => `/${path.split("/")[1]}`)),
];

/** The policy file the context names (readDeploymentContext has checked it), as bundles embed it. */
const embeddedPoliciesOf = (file: string): EmbeddedPolicies => ({
  source: relative(REPO_ROOT, file),
  text: readFileSync(file, "utf8"),
});

/**
 * The whole application on AWS, built from the services' manifests: their subscriptions become rules,
 * their table specs tables, their HTTP surfaces routes, their needs environment and grants.
 */
export class ApprovalsStack extends Stack {
  readonly bus: EventBus;
  /** Every service's tables, by spec id. */
  readonly tables: ReadonlyMap<string, Table>;
  readonly services: readonly Service[];
  /** Made when some service declares `needs.schedules`. */
  readonly schedules?: Schedules;
  readonly portal: Portal;
  readonly signIn: SignIn;
  /** The alarms' topic, the alarms and the dashboard, in a nested stack of their own. */
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: ApprovalsStackProps) {
    super(scope, id, props);
    const { context } = props;
    const services = props.services ?? registry;

    this.bus = new EventBus(this, "Bus", {
      eventBusName: stagedName(context, APPROVALS_BUS),
      description:
        "Resource approvals: every event of the flow; outside systems publish ResourceRequested here",
    });
    // No pattern: every event on the bus is kept, whoever published it, so any window can be replayed.
    const archive = new CfnArchive(this, "Archive", {
      sourceArn: this.bus.eventBusArn,
      description: "Every event of the approvals bus, for replay after a fix",
      retentionDays: ARCHIVE_RETENTION_DAYS,
    });
    const defaultBus = EventBus.fromEventBusName(this, "DefaultBus", DEFAULT_BUS);
    const buses = new Map([
      [APPROVALS_BUS, this.bus],
      [DEFAULT_BUS, defaultBus],
    ]);

    const tables = new Map(
      services.flatMap((service) => service.tables).map((spec) => [spec.id, this.tableOf(spec)] as const),
    );
    this.tables = tables;

    const hmacKey = new Secret(this, "DecisionLinkKey", {
      description: "HMAC-SHA256 key signing approval links (approval-mail signs, decision verifies)",
      generateSecretString: { passwordLength: SECRET_LENGTH, excludePunctuation: true },
    });
    acknowledge(
      hmacKey,
      "AwsSolutions-SMG4",
      "Rotating the link key invalidates every approval link still waiting in an inbox; rotate it by hand between approval windows (docs/DEPLOYMENT.md)",
    );

    const sender = sesSendingOf(this, {
      sender: context.sender,
      senderDomain: context.senderDomain,
      defaultBus,
    });

    const api = new HttpApi(this, "Api", {
      // Not unique in an account, but the console lists APIs by name: each stage's by its own.
      apiName: `${this.stackName}-api`,
      description: "Resource approvals: requests API and decision pages, reached through CloudFront",
      createDefaultStage: false,
    });
    const apiAccessLogs = new LogGroup(this, "ApiAccessLogs", { retention: LOG_RETENTION });
    new HttpStage(this, "ApiStage", {
      httpApi: api,
      stageName: "$default",
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(apiAccessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: "$context.requestId",
            ip: "$context.identity.sourceIp",
            requestTime: "$context.requestTime",
            routeKey: "$context.routeKey",
            status: "$context.status",
            protocol: "$context.protocol",
            responseLength: "$context.responseLength",
            integrationError: "$context.integrationErrorMessage",
            integrationLatency: "$context.integrationLatency",
          }),
        ),
      },
    });

    const originVerify = new Secret(this, "OriginVerify", {
      description:
        "The header value CloudFront sends the HTTP API; the functions refuse requests without it, so the API is reached only through CloudFront",
      generateSecretString: { passwordLength: SECRET_LENGTH, excludePunctuation: true },
    });
    acknowledge(
      originVerify,
      "AwsSolutions-SMG4",
      "CloudFront and the functions read the value when deployed; rotating it means putting a new value and deploying again (docs/DEPLOYMENT.md)",
    );
    // A dynamic reference: CloudFormation puts the value in place at deploy time, the template holds none.
    const originVerifySecret = originVerify.secretValue.unsafeUnwrap();

    // Fixed by the stage, not by the user pool: the portal's CSP names the sign-in before the pool exists.
    const signInDomainPrefix = `${stagedName(context, "approvals")}-${this.account}`;
    const httpPaths = services.flatMap((service) => service.http?.routes.map((route) => route.path) ?? []);
    this.portal = new Portal(this, "Portal", {
      directory: props.portalDirectory,
      api,
      apiPathPrefixes: apiPathPrefixesOf(httpPaths),
      customDomain:
        context.portalDomain && context.portalCertificateArn
          ? { domainName: context.portalDomain, certificateArn: context.portalCertificateArn }
          : undefined,
      originVerifySecret,
      // Where the portal's sign-in library calls: the issuer's discovery and keys, the domain's token endpoint.
      signInOrigins: [
        `https://cognito-idp.${this.region}.${this.urlSuffix}`,
        `https://${signInDomainPrefix}.auth.${this.region}.amazoncognito.com`,
      ],
      firewall: this.firewallOf(portalFirewallOf(context)),
    });

    this.signIn = new SignIn(this, "SignIn", {
      portalUrl: this.portal.url,
      identityProvider: context.identityProvider,
      domainPrefix: signInDomainPrefix,
    });
    this.portal.publishFiles({
      signIn: {
        authority: this.signIn.issuer,
        clientId: this.signIn.client.userPoolClientId,
        scope: PORTAL_SCOPE,
      },
    });
    const signedInAuthorizer = new HttpJwtAuthorizer("SignedIn", this.signIn.issuer, {
      authorizerName: "signed-in",
      jwtAudience: [this.signIn.client.userPoolClientId],
      identitySource: ["$request.header.Authorization"],
    });

    const regions = deploymentRegionsOf(context, this.region);
    const settings: Record<SettingName, string | undefined> = {
      SENDER: context.sender,
      APPROVAL_TTL_SECONDS: String(context.approvalTtlSeconds),
      PUBLIC_URL: this.portal.url,
      IMAGE_IDS: context.imageIds && JSON.stringify(context.imageIds),
      SECURITY_GROUP_IDS: context.securityGroupIds?.length ? context.securityGroupIds.join(",") : undefined,
      DEFAULT_SUBNET_ID: context.subnetId,
      ALLOWED_SUBNET_IDS: context.allowedSubnetIds?.join(","),
      DECISIONS_REQUIRE_SIGN_IN: String(context.decisionsRequireSignIn),
      ALLOWED_REGIONS: regions.allowed.join(","),
      DEFAULT_REGION: regions.defaultRegion,
      BUCKET_NAME_PREFIX: context.bucketNamePrefix,
      DB_SUBNET_GROUP_NAME: context.dbSubnetGroupName,
      DB_SECURITY_GROUP_IDS: context.dbSecurityGroupIds?.length
        ? context.dbSecurityGroupIds.join(",")
        : undefined,
      LEASE_DEFAULT: context.leaseDefault,
      LEASE_MIN: context.leaseMin,
      LEASE_MAX: context.leaseMax,
      LEASE_REMINDERS: context.leaseReminders,
      RELEASE_CHECK_DELAYS: context.releaseCheckDelays,
      // The launchers tag what they create with it; their permissions require it (ec2-permissions.ts).
      DEPLOYMENT_NAME: this.stackName,
      AUTH_ISSUER: this.signIn.issuer,
      AUTH_AUDIENCE: this.signIn.client.userPoolClientId,
      AUTH_JWKS_URL: this.signIn.jwksUrl,
    };
    const approvalPolicies = embeddedPoliciesOf(context.approvalPolicies);
    const schedulers = services.filter((manifest) => manifest.needs.schedules);
    if (schedulers.length > 0)
      this.schedules = new Schedules(this, "Schedules", { bus: this.bus, schedulers });
    this.services = services.map(
      (manifest) =>
        new Service(this, manifest.name, {
          manifest,
          shared: {
            buses,
            publishBus: this.bus,
            tables,
            hmacKey,
            sender,
            sesSandbox: context.sesSandbox,
            settings,
            launchSettings: {
              regions: regions.allowed,
              images: imagesWith(context.imageIds ?? {}),
              securityGroupIds: context.securityGroupIds,
              subnetIds: context.allowedSubnetIds,
              imageOwners: context.allowedImageOwners,
              imageArns: context.allowedImageArns,
            },
            launcherConcurrency: context.launcherConcurrency,
            rdsLaunchSettings: {
              regions: regions.allowed,
              subnetGroupName: context.dbSubnetGroupName,
              requestTag: CREATION_TAG_KEYS.requestId,
              tagKeys: Object.values(CREATION_TAG_KEYS),
            },
            bucketLaunchSettings: { regions: regions.allowed, bucketNamePrefix: context.bucketNamePrefix },
            api,
            signedInAuthorizer,
            originVerifySecret,
            schedules: this.schedules,
            chat: context.chatSecretArn
              ? {
                  secretArn: context.chatSecretArn,
                  secretKeyArn: context.chatSecretKeyArn,
                  approvalsChannel: context.slackApprovalsChannel,
                }
              : undefined,
            userPool: this.signIn.userPool,
            approvalPolicies,
          },
        }),
    );
    this.closeBus(context.publishers);
    this.alarms = new Alarms(this, "Alarms", {
      services: this.services,
      schedules: this.schedules,
      api,
      email: context.alarmEmail,
    });

    this.refuseDeployingPlaceholders(placeholderAddressesOf(context));

    new CfnOutput(this, "PortalUrl", {
      value: this.portal.url,
      description: "The portal, API and decision pages",
    });
    new CfnOutput(this, "EventBusName", { value: this.bus.eventBusName });
    new CfnOutput(this, "EventBusArn", {
      value: this.bus.eventBusArn,
      description: "Where other systems publish",
    });
    new CfnOutput(this, "EventArchiveArn", { value: archive.attrArn, description: "The replay source" });
    new CfnOutput(this, "AlarmTopicArn", {
      value: this.alarms.topic.topicArn,
      description: "Where every alarm goes: subscribe more endpoints here",
    });
    new CfnOutput(this, "DashboardName", { value: this.alarms.dashboard.dashboardName });
    new CfnOutput(this, "UserPoolId", {
      value: this.signIn.userPool.userPoolId,
      description: "Where users are created and put in groups",
    });
    new CfnOutput(this, "SignInDomain", {
      value: this.signIn.domain.baseUrl(),
      description:
        "The managed login; a federated provider redirects to its /saml2/idpresponse or /oauth2/idpresponse",
    });
    // What setting up CloudFront's request log by hand takes, outside us-east-1 (docs/DEPLOYMENT.md).
    new CfnOutput(this, "PortalDistributionArn", { value: this.portal.distribution.distributionArn });
    new CfnOutput(this, "PortalRequestLogFields", {
      value: PORTAL_LOG_FIELDS.join(","),
      description: "The fields CloudFront's request log keeps: no query string, cookie or referrer",
    });
  }

  /**
   * A web ACL the stack makes must be in CloudFront's WAF region, so the stack must be there too, and
   * known to be at synth; elsewhere the context names one made there (docs/DEPLOYMENT.md, section "WAF").
   */
  private firewallOf(firewall: PortalFirewall | undefined): PortalFirewall | undefined {
    if (firewall?.kind !== "created" || this.region === CLOUDFRONT_WAF_REGION) return firewall;
    const where = Token.isUnresolved(this.region)
      ? "the stack's region is unknown at synth (run cdk with AWS_REGION or a profile's region)"
      : `the stack is in ${this.region}`;
    throw new DeploymentContextError(
      `waf asks the stack for a web ACL, which CloudFront takes from ${CLOUDFRONT_WAF_REGION} only, and ${where}: create the web ACL in ${CLOUDFRONT_WAF_REGION} and pass its ARN as webAclArn instead (docs/DEPLOYMENT.md, section "WAF")`,
    );
  }

  /**
   * Addresses at example domains are fine to synthesize (tests, a first look at the template) but
   * never to deploy: SES never verifies such a sender, and such an approver never reads their mail.
   * The template itself refuses: a CloudFormation rule CloudFormation checks before it changes
   * anything, whichever tool deploys it (`cdk deploy`, a pipeline, the console). Its parameter takes
   * no other value, so the rule cannot be argued with at deploy time.
   */
  private refuseDeployingPlaceholders(addresses: readonly string[]): void {
    if (addresses.length === 0) return;
    const listed = addresses.join("; ");
    const placeholders = new CfnParameter(this, "PlaceholderMailAddresses", {
      type: "String",
      description: "Mail addresses at example domains this template was synthesized with",
      default: listed,
      allowedValues: [listed],
    });
    new CfnRule(this, "NoPlaceholderMailAddresses", {
      assertions: [
        {
          assert: Fn.conditionEquals(placeholders.valueAsString, ""),
          assertDescription:
            `Not deployable with mail addresses at example domains (${listed}): set sender (-c sender=...) and the approvers of approvalPolicies to real addresses`.slice(
              0,
              1024,
            ),
        },
      ],
    });
  }

  /**
   * Who may put what on the bus, whatever IAM policies in the account allow, in explicit denies no
   * identity policy can override:
   * - each source of the flow's own only the functions of the services that publish under it, so no
   *   function can pass for another service (its role's policy narrows it to its own detail-types);
   * - any other `approvals.*` source and AWS's `aws.*` sources nobody;
   * - `ResourceRequested` only the context's `publishers` and the functions whose `uses` publish it
   *   (intake's HTTP function);
   * - a source a publisher is bound to only that publisher, so the event's `source` names who put it.
   */
  private closeBus(publishers: readonly Publisher[]): void {
    const putEvents = { actions: ["events:PutEvents"], resources: [this.bus.eventBusArn] };
    const deny = (sid: string, conditions: Record<string, Record<string, unknown>>) =>
      this.bus.addToResourcePolicy(
        new PolicyStatement({
          sid,
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          ...putEvents,
          conditions,
        }),
      );
    const rolesOf = (services: readonly Service[]) => [
      ...services.flatMap((service) => [...service.functions.values()].map((fn) => fn.role.roleArn)),
      // Scheduler puts the events of the services that schedule them with the schedules' role.
      ...(this.schedules && services.some((service) => service.manifest.needs.schedules)
        ? [this.schedules.role.roleArn]
        : []),
    ];

    const ownSources = [...new Set(this.services.flatMap((service) => sourcesPublishedBy(service.manifest)))];
    for (const source of ownSources) {
      const producers = this.services.filter((service) =>
        sourcesPublishedBy(service.manifest).includes(source),
      );
      deny(statementIdOf("OwnSource", source), {
        StringEquals: { "events:source": source },
        ArnNotEquals: { "aws:PrincipalArn": rolesOf(producers) },
      });
    }
    deny("NoOtherFlowSource", {
      StringLike: { "events:source": OWN_SOURCES },
      StringNotEquals: { "events:source": ownSources },
    });
    deny("NoAwsSource", { StringLike: { "events:source": AWS_SOURCES } });

    /** The publishers' distinct role ARNs, or their distinct account ids. */
    const principalsOf = (entries: readonly Publisher[], kind: "role" | "account") => [
      ...new Set(
        entries
          .map(({ principal }) => principal)
          .filter((principal) => principal.startsWith("arn:") === (kind === "role")),
      ),
    ];
    /** Denies `conditions` to everyone but the stack's `functionRoles` and the publishers `entries` name. */
    const denyAllBut = (
      sid: string,
      conditions: Record<string, Record<string, unknown>>,
      functionRoles: readonly string[],
      entries: readonly Publisher[],
    ) => {
      const exceptRoles = [...functionRoles, ...principalsOf(entries, "role")];
      const exceptAccounts = principalsOf(entries, "account");
      deny(sid, {
        ...conditions,
        ...(exceptRoles.length > 0 && { ArnNotEquals: { "aws:PrincipalArn": exceptRoles } }),
        ...(exceptAccounts.length > 0 && { StringNotEquals: { "aws:PrincipalAccount": exceptAccounts } }),
      });
    };

    // The functions whose own `uses` publish it (intake's HTTP function), not every function of their
    // service: intake's consumer publishes under the same source but only answers requests.
    const asksForResources = this.services.flatMap((service) =>
      service.manifest.uses
        .filter(({ publishes = [] }) =>
          publishes.some((contract) => contract.detailType === ResourceRequested.detailType),
        )
        .flatMap(({ handler }) => service.functions.get(functionIdOf(handler))?.role.roleArn ?? []),
    );
    denyAllBut(
      "OnlyPublishersAskForResources",
      { StringEquals: { "events:detail-type": ResourceRequested.detailType } },
      asksForResources,
      publishers,
    );
    const boundSources = [...new Set(publishers.flatMap(({ source }) => (source ? [source] : [])))];
    for (const [index, source] of boundSources.entries()) {
      denyAllBut(
        statementIdOf(`PublisherSource${index + 1}`, source),
        { StringEquals: { "events:source": source } },
        [],
        publishers.filter((entry) => entry.source === source),
      );
    }
    if (publishers.length === 0) return;
    // Other accounts need the bus's permission besides their own; a role of this account needs either.
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: "PublishersAskForResources",
        principals: [
          ...principalsOf(publishers, "account").map((account) => new AccountPrincipal(account)),
          ...principalsOf(publishers, "role").map((role) => new ArnPrincipal(role)),
        ],
        ...putEvents,
        conditions: {
          StringEquals: { "events:detail-type": ResourceRequested.detailType },
          StringNotLike: { "events:source": [OWN_SOURCES, AWS_SOURCES] },
        },
      }),
    );
  }

  /** A table as its spec declares it; kept (and protected) when the stack goes, records outlive deployments. */
  private tableOf(spec: TableSpec): Table {
    const table = new Table(this, spec.id, {
      partitionKey: attributeOf(spec.partitionKey),
      sortKey: spec.sortKey && attributeOf(spec.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: spec.timeToLiveAttribute,
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    for (const index of spec.globalIndexes ?? []) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attributeOf(index.partitionKey),
        sortKey: index.sortKey && attributeOf(index.sortKey),
      });
    }
    return table;
  }
}
