import { CfnOutput, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import { HttpApi, HttpStage, LogGroupLogDestination } from "aws-cdk-lib/aws-apigatewayv2";
import { AttributeType, BillingMode, Table } from "aws-cdk-lib/aws-dynamodb";
import { CfnArchive, EventBus } from "aws-cdk-lib/aws-events";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { EmailIdentity, Identity } from "aws-cdk-lib/aws-ses";
import type { Construct } from "constructs";
import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { imagesWith } from "../../services/ec2-launcher/domain.ts";
import { services } from "../../services/registry.ts";
import type { SettingName } from "../../services/shared/manifest.ts";
import type {
  KeySpec,
  AttributeType as SpecAttributeType,
  TableSpec,
} from "../../services/shared/table-spec.ts";
import { LOG_RETENTION } from "./constructs/handler-function.ts";
import { Portal } from "./constructs/portal.ts";
import { Service } from "./constructs/service.ts";
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

/** The key that signs approval links; 64 characters from the generator's alphabet. */
const HMAC_KEY_LENGTH = 64;

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
      generateSecretString: { passwordLength: HMAC_KEY_LENGTH, excludePunctuation: true },
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

    const httpPaths = services.flatMap((service) => service.http?.routes.map((route) => route.path) ?? []);
    this.portal = new Portal(this, "Portal", {
      directory: props.portalDirectory,
      api,
      apiPathPrefixes: apiPathPrefixesOf(httpPaths),
      customDomain:
        context.portalDomain && context.portalCertificateArn
          ? { domainName: context.portalDomain, certificateArn: context.portalCertificateArn }
          : undefined,
    });

    const settings: Record<SettingName, string | undefined> = {
      SENDER: context.sender,
      APPROVERS: context.approvers.join(","),
      APPROVAL_TTL_SECONDS: String(context.approvalTtlSeconds),
      PUBLIC_URL: this.portal.url,
      IMAGE_IDS: context.imageIds && JSON.stringify(context.imageIds),
      SECURITY_GROUP_IDS: context.securityGroupIds?.length ? context.securityGroupIds.join(",") : undefined,
      DEFAULT_SUBNET_ID: context.subnetId,
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
          },
        }),
    );

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
