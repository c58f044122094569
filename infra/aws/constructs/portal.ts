import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Aws, CfnCondition, Duration, Fn, RemovalPolicy, Stack } from "aws-cdk-lib";
import type { HttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import { Certificate } from "aws-cdk-lib/aws-certificatemanager";
import {
  AllowedMethods,
  type BehaviorOptions,
  CachePolicy,
  Distribution,
  Function as EdgeFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from "aws-cdk-lib/aws-cloudfront";
import { HttpOrigin, S3BucketOrigin } from "aws-cdk-lib/aws-cloudfront-origins";
import { type Policy, PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { CfnDelivery, CfnDeliveryDestination, CfnDeliverySource, LogGroup } from "aws-cdk-lib/aws-logs";
import { BlockPublicAccess, Bucket, BucketEncryption } from "aws-cdk-lib/aws-s3";
import { BucketDeployment, Source } from "aws-cdk-lib/aws-s3-deployment";
import { CfnWebACL } from "aws-cdk-lib/aws-wafv2";
import { Construct } from "constructs";
import { PORTAL_CONFIG_PATH, type PortalConfig } from "../../../api/portal-config.ts";
import { PORTAL_STYLESHEET } from "../../../portal/src/style.ts";
import { ORIGIN_VERIFY_HEADER } from "../../../services/shared/behind-cloudfront.ts";
import type { PortalFirewall } from "../context.ts";
import { acknowledge, wildcardResourcesOf } from "../nag.ts";
import { LOG_RETENTION } from "./handler-function.ts";

export class PortalBuildMissingError extends Error {
  override readonly name = "PortalBuildMissingError";
}

export class UnexpectedConstructShapeError extends Error {
  override readonly name = "UnexpectedConstructShapeError";
}

export class PortalFilesAlreadyPublishedError extends Error {
  override readonly name = "PortalFilesAlreadyPublishedError";
}

export class PortalSourceMapsError extends Error {
  override readonly name = "PortalSourceMapsError";
}

export interface PortalProps {
  /** The built portal (index.html and its assets). */
  directory: string;
  api: HttpApi;
  /** First path segments the API serves (`/api`, `/decisions`): CloudFront sends them to the API. */
  apiPathPrefixes: readonly string[];
  customDomain?: { domainName: string; certificateArn: string };
  /** What CloudFront sends the API in ORIGIN_VERIFY_HEADER, so the functions know it came through it. */
  originVerifySecret: string;
  /** The origins the portal's sign-in calls from the browser (the CSP's connect-src besides its own). */
  signInOrigins: readonly string[];
  /** A web ACL in front of the distribution: made here, or one of yours by its ARN. */
  firewall?: PortalFirewall;
}

/**
 * The portal's Content-Security-Policy: its own scripts, its one stylesheet (by hash: main.ts adds it
 * as a <style> element), its empty icon (a `data:` URL), calls to its own API and to the sign-in, and
 * no framing, plugin, base or foreign form target.
 */
export const portalContentSecurityPolicyOf = (signInOrigins: readonly string[]): string =>
  [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' 'sha256-${createHash("sha256").update(PORTAL_STYLESHEET).digest("base64")}'`,
    "img-src 'self' data:",
    `connect-src 'self' ${signInOrigins.join(" ")}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");

/** The web ACL's rule limiting each client IP to `wafRateLimit` requests in WAF's 5-minute window. */
const RATE_RULE = "RateLimitPerIp";
/** AWS's baseline rule group (OWASP's common attacks), less its 8 KB body limit: Slack's button payloads can be larger. */
const COMMON_RULES = "AWSManagedRulesCommonRuleSet";

/**
 * What CloudFront's standard log (v2) records of each request: its 33 standard fields less three. Not
 * the query string (`cs-uri-query`), where an emailed decision link carries its single-use token; not
 * cookies (`cs(Cookie)`); not the `Referer` (`cs(Referer)`), which repeats a page's whole address,
 * query string included.
 */
export const PORTAL_LOG_FIELDS = [
  "date",
  "time",
  "x-edge-location",
  "sc-bytes",
  "c-ip",
  "cs-method",
  "cs(Host)",
  "cs-uri-stem",
  "sc-status",
  "cs(User-Agent)",
  "x-edge-result-type",
  "x-edge-request-id",
  "x-host-header",
  "cs-protocol",
  "cs-bytes",
  "time-taken",
  "x-forwarded-for",
  "ssl-protocol",
  "ssl-cipher",
  "x-edge-response-result-type",
  "cs-protocol-version",
  "fle-status",
  "fle-encrypted-fields",
  "c-port",
  "time-to-first-byte",
  "x-edge-detailed-result-type",
  "sc-content-type",
  "sc-content-len",
  "sc-range-start",
  "sc-range-end",
] as const;

/** Where in the access log bucket CloudFront's log files go (the bucket's own server access log is under `s3/`). */
export const PORTAL_LOG_PREFIX = "cloudfront";

/**
 * CloudFront's logging (v2) is set up through CloudWatch Logs in us-east-1 only, whichever region the
 * bucket is in: a stack elsewhere cannot create it (docs/DEPLOYMENT.md sets it up by hand there).
 */
const CLOUDFRONT_LOGS_REGION = "us-east-1";

/**
 * The portal's single-page routes have no file behind them: any path whose last segment has no
 * extension is the app's shell. Runs at the viewer edge for the S3 origin only, so the API's 404s stay
 * JSON (a distribution-wide error page would turn them into the shell).
 */
const SPA_FALLBACK = `
function handler(event) {
  var request = event.request;
  var last = request.uri.split("/").pop();
  if (last.indexOf(".") === -1) request.uri = "/index.html";
  return request;
}`;

/**
 * The web portal on a private bucket behind CloudFront (origin access control), and the one origin the
 * browser sees: CloudFront forwards the API's paths to the HTTP API, uncached, so no CORS is needed.
 *
 * CloudFront's legacy standard logs stay off: they record each request's query string, where a
 * decision link carries its token. Its standard logs (v2) record every request without it
 * (PORTAL_LOG_FIELDS), when the stack is in us-east-1, the only region they can be set up from; the
 * API's access log records every API and decision request (without the query), the site bucket's
 * server access log every portal file served.
 */
export class Portal extends Construct {
  readonly distribution: Distribution;
  /** The origin approval links and the portal are served from. */
  readonly url: string;
  private readonly site: Bucket;
  private readonly directory: string;

  constructor(scope: Construct, id: string, props: PortalProps) {
    super(scope, id);
    if (!existsSync(join(props.directory, "index.html"))) {
      throw new PortalBuildMissingError(
        `No portal build in ${props.directory}: run \`npm run portal:build\` (cdk.json's build step does) before synth`,
      );
    }
    // The bucket is public through CloudFront: a source map would publish the portal's source.
    const sourceMaps = readdirSync(props.directory, { recursive: true, encoding: "utf8" }).filter((file) =>
      file.endsWith(".map"),
    );
    if (sourceMaps.length > 0) {
      throw new PortalSourceMapsError(
        `The portal build in ${props.directory} has source maps (${sourceMaps.join(", ")}), which the public bucket would serve: build it again with \`npm run portal:build\`, which emits none`,
      );
    }
    const accessLogs = new Bucket(this, "AccessLogs", {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const site = new Bucket(this, "Site", {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: "s3/",
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const spaFallback = new EdgeFunction(this, "SpaFallback", {
      code: FunctionCode.fromInline(SPA_FALLBACK),
      runtime: FunctionRuntime.JS_2_0,
      comment: "Serves the portal's shell for its client-side routes",
    });
    // On every behaviour, the API's too; where the origin sets a header of its own (the decision pages'
    // stricter CSP, their no-referrer), the origin's is kept.
    const responseHeadersPolicy = new ResponseHeadersPolicy(this, "Headers", {
      comment: "Resource approvals: the portal's CSP and security headers",
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: portalContentSecurityPolicyOf(props.signInOrigins),
          override: false,
        },
        contentTypeOptions: { override: false },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: false },
        referrerPolicy: {
          referrerPolicy: HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
          override: false,
        },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), override: false },
      },
    });
    const apiOrigin = new HttpOrigin(
      `${props.api.apiId}.execute-api.${props.api.stack.region}.${props.api.stack.urlSuffix}`,
      {
        protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
        customHeaders: { [ORIGIN_VERIFY_HEADER]: props.originVerifySecret },
      },
    );
    const apiBehavior: BehaviorOptions = {
      origin: apiOrigin,
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: CachePolicy.CACHING_DISABLED,
      // Query strings (links' tokens), cookies and headers such as Origin (checked by the decision POST)
      // go through; Host does not, API Gateway routes by its own host name.
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy,
    };
    const certificate = props.customDomain
      ? Certificate.fromCertificateArn(this, "Certificate", props.customDomain.certificateArn)
      : undefined;
    const siteOrigin = S3BucketOrigin.withOriginAccessControl(site);
    // The sign-in settings change with a deployment, not with the portal's build: never cached for long.
    const configBehavior: BehaviorOptions = {
      origin: siteOrigin,
      viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      cachePolicy: CachePolicy.CACHING_DISABLED,
      responseHeadersPolicy,
    };
    this.distribution = new Distribution(this, "Distribution", {
      comment: "Resource approvals: portal, API and decision pages",
      defaultRootObject: "index.html",
      defaultBehavior: {
        origin: siteOrigin,
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy,
        functionAssociations: [{ function: spaFallback, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        [PORTAL_CONFIG_PATH]: configBehavior,
        ...Object.fromEntries(props.apiPathPrefixes.map((prefix) => [`${prefix}/*`, apiBehavior])),
      },
      webAclId: props.firewall && this.webAclArnOf(props.firewall),
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      ...(props.customDomain && {
        domainNames: [props.customDomain.domainName],
        certificate,
        minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      }),
    });
    this.url = `https://${props.customDomain?.domainName ?? this.distribution.distributionDomainName}`;
    this.logRequests(accessLogs);
    this.site = site;
    this.directory = props.directory;
    this.acknowledgeDistributionFindings(props.customDomain === undefined, props.firewall !== undefined);
  }

  /**
   * The web ACL's ARN: the context's, or one made here (the stack checks it is in us-east-1) with a
   * rate limit per client IP, then AWS's common rules.
   */
  private webAclArnOf(firewall: PortalFirewall): string {
    if (firewall.kind === "existing") return firewall.webAclArn;
    const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const webAcl = new CfnWebACL(this, "Firewall", {
      scope: "CLOUDFRONT",
      description: "Resource approvals: a rate limit per client IP, then AWS's common rules",
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${Stack.of(this).stackName}-portal`),
      rules: [
        {
          name: RATE_RULE,
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: firewall.rateLimit,
              aggregateKeyType: "IP",
              evaluationWindowSec: 300,
            },
          },
          visibilityConfig: visibility(RATE_RULE),
        },
        {
          name: COMMON_RULES,
          priority: 1,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: {
              vendorName: "AWS",
              name: COMMON_RULES,
              ruleActionOverrides: [{ name: "SizeRestrictions_BODY", actionToUse: { count: {} } }],
            },
          },
          visibilityConfig: visibility(COMMON_RULES),
        },
      ],
    });
    return webAcl.attrArn;
  }

  /**
   * Uploads the portal's build and, next to it, its configuration (how to sign in), which the sign-in
   * can only give once it knows the portal's address: hence a step of its own, taken once.
   */
  publishFiles(config: PortalConfig): void {
    if (this.node.tryFindChild("Files")) {
      throw new PortalFilesAlreadyPublishedError(`${this.node.path}: the portal's files are published once`);
    }
    const deployment = new BucketDeployment(this, "Files", {
      sources: [Source.asset(this.directory), Source.jsonData(PORTAL_CONFIG_PATH.slice(1), config)],
      destinationBucket: this.site,
      distribution: this.distribution,
      distributionPaths: ["/*"],
      memoryLimit: 512,
      logGroup: new LogGroup(this, "FilesDeploymentLogs", { retention: LOG_RETENTION }),
    });
    this.acknowledgeUploaderFindings(deployment);
  }

  /**
   * CloudFront's standard logging (v2) to the access log bucket, with PORTAL_LOG_FIELDS only. The
   * resources exist only where CloudFormation can create them (a stack in us-east-1); the bucket lets
   * CloudWatch Logs' delivery write there in any case, for a delivery an operator sets up by hand.
   */
  private logRequests(bucket: Bucket): void {
    const stack = Stack.of(this);
    const sourceName = `${stack.stackName}-portal-requests`.slice(0, 60);
    bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: "CloudFrontLogDelivery",
        principals: [new ServicePrincipal("delivery.logs.amazonaws.com")],
        actions: ["s3:PutObject"],
        resources: [bucket.arnForObjects(`${PORTAL_LOG_PREFIX}/*`)],
        conditions: {
          StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": Aws.ACCOUNT_ID },
          ArnLike: {
            "aws:SourceArn": `arn:${Aws.PARTITION}:logs:${CLOUDFRONT_LOGS_REGION}:${Aws.ACCOUNT_ID}:delivery-source:${sourceName}`,
          },
        },
      }),
    );
    const inCloudFrontLogsRegion = new CfnCondition(this, "InCloudFrontLogsRegion", {
      expression: Fn.conditionEquals(Aws.REGION, CLOUDFRONT_LOGS_REGION),
    });
    const source = new CfnDeliverySource(this, "RequestLogSource", {
      name: sourceName,
      logType: "ACCESS_LOGS",
      resourceArn: this.distribution.distributionArn,
    });
    const destination = new CfnDeliveryDestination(this, "RequestLogDestination", {
      name: sourceName,
      outputFormat: "json",
      destinationResourceArn: `${bucket.bucketArn}/${PORTAL_LOG_PREFIX}`,
    });
    const delivery = new CfnDelivery(this, "RequestLogDelivery", {
      deliverySourceName: source.name,
      deliveryDestinationArn: destination.attrArn,
      recordFields: [...PORTAL_LOG_FIELDS],
    });
    delivery.addDependency(source);
    if (bucket.policy) delivery.node.addDependency(bucket.policy);
    for (const resource of [source, destination, delivery])
      resource.cfnOptions.condition = inCloudFrontLogsRegion;
  }

  private acknowledgeDistributionFindings(defaultDomain: boolean, firewalled: boolean): void {
    acknowledge(
      this.distribution,
      "AwsSolutions-CFR3",
      "The legacy standard logs would record decision links' single-use tokens (query strings); the distribution logs through standard logging v2 instead, without the query string (PORTAL_LOG_FIELDS), which CloudFormation can create in us-east-1 only (docs/DEPLOYMENT.md sets it up by hand elsewhere); the API's access log records every API and decision request in any region",
    );
    acknowledge(
      this.distribution,
      "AwsSolutions-CFR1",
      "Requesters and approvers work from wherever the organization does; there is no country to exclude by default",
    );
    if (!firewalled) {
      acknowledge(
        this.distribution,
        "AwsSolutions-CFR2",
        "The API behind CloudFront is throttled at its stage and every write is validated; a web ACL is one setting away (context waf, wafRateLimit or webAclArn, docs/DEPLOYMENT.md)",
      );
    }
    if (defaultDomain) {
      acknowledge(
        this.distribution,
        "AwsSolutions-CFR4",
        "Without portalDomain the distribution uses the cloudfront.net certificate, whose TLS policy CloudFront fixes; set portalDomain and portalCertificateArn for TLS 1.2+",
      );
    }
  }

  private acknowledgeUploaderFindings(deployment: BucketDeployment): void {
    // The uploader is CDK's own BucketDeployment function: it runs only during deployments.
    const uploaderRole = deployment.handlerRole;
    const uploader = uploaderRole.node.scope;
    const uploaderPolicy = uploaderRole.node.tryFindChild("DefaultPolicy");
    if (!uploader || !uploaderPolicy) {
      throw new UnexpectedConstructShapeError(
        "CDK's BucketDeployment no longer has the role these acknowledgements expect",
      );
    }
    const deployOnly =
      "CDK's BucketDeployment handler runs only while CloudFormation deploys the portal's files";
    acknowledge(uploader, "AwsSolutions-L1", `${deployOnly}; CDK chooses and updates its runtime`);
    acknowledge(
      uploader,
      "Serverless-LambdaLatestVersion",
      `${deployOnly}; CDK chooses and updates its runtime`,
    );
    acknowledge(
      uploader,
      "Serverless-LambdaDLQ",
      `${deployOnly}, invoked synchronously by CloudFormation, which reports its failures`,
    );
    acknowledge(uploader, "Serverless-LambdaTracing", `${deployOnly}; its log group records each run`);
    acknowledge(
      uploaderRole,
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      `${deployOnly}; CDK gives it Lambda's basic execution role to write its logs`,
    );
    const copies = `${deployOnly}: it reads the build from CDK's asset bucket and replaces the objects of the portal bucket, whose keys it cannot know in advance`;
    for (const action of ["s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*"]) {
      acknowledge(uploaderPolicy, `AwsSolutions-IAM5[Action::${action}]`, copies);
    }
    // The objects of the two buckets it copies between (`<bucket>/*`).
    const statements = (uploaderPolicy as Policy).document.toJSON().Statement as { Resource?: unknown }[];
    const objectArns = wildcardResourcesOf(
      uploaderPolicy,
      statements.flatMap((statement) => [statement.Resource].flat()),
    ).filter((arn) => arn.endsWith("/*"));
    for (const arn of objectArns) acknowledge(uploaderPolicy, `AwsSolutions-IAM5[Resource::${arn}]`, copies);
    acknowledge(
      uploaderPolicy,
      "AwsSolutions-IAM5[Resource::*]",
      `${deployOnly}: CloudFront invalidations (after an upload) support no resource-level permissions`,
    );
  }
}
