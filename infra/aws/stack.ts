import { CfnOutput, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import { HttpApi, HttpStage, LogGroupLogDestination } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpJwtAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { AttributeType, BillingMode, Table } from "aws-cdk-lib/aws-dynamodb";
import { CfnArchive, EventBus } from "aws-cdk-lib/aws-events";
import { AccountPrincipal, AnyPrincipal, ArnPrincipal, Effect, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { EmailIdentity, Identity } from "aws-cdk-lib/aws-ses";
import type { Construct } from "constructs";
import { PORTAL_SCOPE } from "../../api/portal-config.ts";
import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { ResourceRequested } from "../../events/resource-requested.ts";
import { imagesWith } from "../../services/ec2-launcher/domain.ts";
import { services } from "../../services/registry.ts";
import type { ServiceManifest, SettingName } from "../../services/shared/manifest.ts";
import type {
  KeySpec,
  AttributeType as SpecAttributeType,
  TableSpec,
} from "../../services/shared/table-spec.ts";
import { LOG_RETENTION } from "./constructs/handler-function.ts";
import { Portal } from "./constructs/portal.ts";
import { Service } from "./constructs/service.ts";
import { SignIn } from "./constructs/sign-in.ts";
import type { DeploymentContext } from "./context.ts";
import { acknowledge } from "./nag.ts";

export interface ApprovalsStackProps extends StackProps {
  context: DeploymentContext;
  /** The built portal to upload (`portal/dist`). */
  portalDirectory: string;
}

/** How long the bus keeps every event for replay. */
export const ARCHIVE_RETENTION_DAYS = 90;

/** Per-second limits of the HTTP API: well above a team's use, low enough to blunt a flood. */
export const API_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

/** The key that signs approval links, and CloudFront's secret for the API: 64 characters from the generator's alphabet. */
const SECRET_LENGTH = 64;

/** The sources only the stack's own functions may publish under: the flow's own events. */
export const OWN_SOURCES = "approvals.*";

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

/**
 * The whole application on AWS, built from the services' manifests: their subscriptions become rules,
 * their table specs tables, their HTTP surfaces routes, their needs environment and grants.
 */
export class ApprovalsStack extends Stack {
  readonly bus: EventBus;
  /** Every service's tables, by spec id. */
  readonly tables: ReadonlyMap<string, Table>;
  readonly services: readonly Service[];
  readonly portal: Portal;
  readonly signIn: SignIn;

  constructor(scope: Construct, id: string, props: ApprovalsStackProps) {
    super(scope, id, props);
    const { context } = props;

    this.bus = new EventBus(this, "Bus", {
      eventBusName: APPROVALS_BUS,
      description:
        "Resource approvals: every event of the flow; outside systems publish ResourceRequested here",
    });
    // No pattern: every event on the bus is kept, whoever published it, so any window can be replayed.
    const archive = new CfnArchive(this, "Archive", {
      sourceArn: this.bus.eventBusArn,
      description: "Every event of the approvals bus, for replay after a fix",
      retentionDays: ARCHIVE_RETENTION_DAYS,
    });
    const buses = new Map([
      [APPROVALS_BUS, this.bus],
      [DEFAULT_BUS, EventBus.fromEventBusName(this, "DefaultBus", DEFAULT_BUS)],
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

    const sender = new EmailIdentity(this, "Sender", { identity: Identity.email(context.sender) });

    const api = new HttpApi(this, "Api", {
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
    });

    this.signIn = new SignIn(this, "SignIn", {
      portalUrl: this.portal.url,
      identityProvider: context.identityProvider,
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

    const settings: Record<SettingName, string | undefined> = {
      SENDER: context.sender,
      APPROVERS: context.approvers.join(","),
      APPROVAL_TTL_SECONDS: String(context.approvalTtlSeconds),
      PUBLIC_URL: this.portal.url,
      IMAGE_IDS: context.imageIds && JSON.stringify(context.imageIds),
      SECURITY_GROUP_IDS: context.securityGroupIds?.length ? context.securityGroupIds.join(",") : undefined,
      DEFAULT_SUBNET_ID: context.subnetId,
      DECISIONS_REQUIRE_SIGN_IN: String(context.decisionsRequireSignIn),
      AUTH_ISSUER: this.signIn.issuer,
      AUTH_AUDIENCE: this.signIn.client.userPoolClientId,
      AUTH_JWKS_URL: this.signIn.jwksUrl,
    };
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
              images: imagesWith(context.imageIds ?? {}),
              securityGroupIds: context.securityGroupIds,
            },
            api,
            signedInAuthorizer,
            originVerifySecret,
          },
        }),
    );
    this.closeBus(context.publishers);

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
    new CfnOutput(this, "UserPoolId", {
      value: this.signIn.userPool.userPoolId,
      description: "Where users are created and put in groups",
    });
    new CfnOutput(this, "SignInDomain", {
      value: this.signIn.domain.baseUrl(),
      description:
        "The managed login; a federated provider redirects to its /saml2/idpresponse or /oauth2/idpresponse",
    });
  }

  /**
   * Who may put what on the bus, whatever IAM policies in the account allow: the flow's own sources only
   * the stack's publishing functions, `ResourceRequested` only the context's `publishers` and the
   * functions that publish it (intake). Explicit denies, which no identity policy can override.
   */
  private closeBus(publishers: readonly string[]): void {
    const rolesPublishing = (publishes: (manifest: ServiceManifest) => boolean) =>
      this.services
        .filter((service) => publishes(service.manifest))
        .flatMap((service) => [...service.functions.values()].map((fn) => fn.role.roleArn));
    const accounts = publishers.filter((publisher) => !publisher.startsWith("arn:"));
    const roles = publishers.filter((publisher) => publisher.startsWith("arn:"));
    const putEvents = { actions: ["events:PutEvents"], resources: [this.bus.eventBusArn] };
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: "OnlyTheFlowPublishesItsOwnEvents",
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        ...putEvents,
        conditions: {
          StringLike: { "events:source": OWN_SOURCES },
          ArnNotEquals: { "aws:PrincipalArn": rolesPublishing((manifest) => manifest.publishes.length > 0) },
        },
      }),
    );
    const asksForResources = (manifest: ServiceManifest) =>
      manifest.publishes.some(({ contract }) => contract.detailType === ResourceRequested.detailType);
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: "OnlyPublishersAskForResources",
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        ...putEvents,
        conditions: {
          StringEquals: { "events:detail-type": ResourceRequested.detailType },
          ArnNotEquals: { "aws:PrincipalArn": [...rolesPublishing(asksForResources), ...roles] },
          ...(accounts.length > 0 && { StringNotEquals: { "aws:PrincipalAccount": accounts } }),
        },
      }),
    );
    if (publishers.length === 0) return;
    // Other accounts need the bus's permission besides their own; a role of this account needs either.
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: "PublishersAskForResources",
        principals: [
          ...accounts.map((account) => new AccountPrincipal(account)),
          ...roles.map((role) => new ArnPrincipal(role)),
        ],
        ...putEvents,
        conditions: {
          StringEquals: { "events:detail-type": ResourceRequested.detailType },
          StringNotLike: { "events:source": OWN_SOURCES },
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
