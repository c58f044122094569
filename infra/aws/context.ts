import { resolve } from "node:path";
import { Tags, Token } from "aws-cdk-lib";
import type { IConstruct, Node } from "constructs";
import { z } from "zod";
import { leaseDurationSchema } from "../../events/lease-duration.ts";
import { regionSchema } from "../../events/region.ts";
import { DEFAULT_POLICY_FILE, loadPolicies, PolicyFileError } from "../../policy/index.ts";
import { imageOverridesSchema } from "../../services/ec2-launcher/domain.ts";
import { jsonSetting, settingEntryOf } from "../../services/shared/config.ts";
import { durationListSetting } from "../../services/shared/lease-settings.ts";
import { REPO_ROOT } from "./paths.ts";

/** A deployment's context (cdk.json or `-c key=value`) is missing a value or holds a malformed one. */
export class DeploymentContextError extends Error {
  override readonly name = "DeploymentContextError";
}

/** `-c key=` on the command line arrives as an empty string: it means "not set", like leaving it out. */
const optional = <Schema extends z.ZodType>(schema: Schema) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

/** Lists come as JSON arrays from cdk.json and as comma-separated strings from `-c`. */
const listOf = <Item extends z.ZodType>(item: Item) =>
  z.preprocess(
    (value) =>
      typeof value === "string"
        ? value
            .split(",")
            .map((part) => part.trim())
            .filter(Boolean)
        : value,
    z.array(item),
  );

/** Flags come as booleans from cdk.json and as "true"/"false" from `-c`. */
const flag = z.preprocess(
  (value) => (value === "true" ? true : value === "false" ? false : value),
  z.boolean({ error: "must be true or false" }),
);

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/;
/**
 * An event source an outside publisher may own: letters, digits and `._-/`, as EventBridge sources are
 * written, and never the flow's own (`approvals.*`) nor AWS's (`aws.*`).
 */
const SOURCE = /^[A-Za-z0-9][\w./-]{0,255}$/;
const RESERVED_SOURCE = /^(approvals|aws)\./i;
/** `SOURCE=PRINCIPAL`: the source is split off at the first `=` before any `:` (a role name may hold `=`). */
const BOUND_PUBLISHER = /^([^=:]+)=(.+)$/;

/** Who may put `ResourceRequested` on the bus, and the source only it may use, if it is bound to one. */
export interface Publisher {
  /** An account id (any principal of that account) or an IAM role ARN. */
  principal: string;
  source?: string;
}

const PUBLISHER_FORMAT =
  "must be comma-separated account ids (123456789012) or IAM role ARNs, each optionally bound to a source of its own (acme.ci=123456789012)";

const publisher = z.string().transform((entry, context): Publisher => {
  const bound = BOUND_PUBLISHER.exec(entry);
  const [source, principal] = bound ? [bound[1] as string, bound[2] as string] : [undefined, entry];
  if (!ACCOUNT_ID.test(principal) && !ROLE_ARN.test(principal)) {
    context.addIssue({ code: "custom", input: entry, message: PUBLISHER_FORMAT });
  } else if (source !== undefined && !SOURCE.test(source)) {
    context.addIssue({
      code: "custom",
      input: entry,
      message: `binds ${source}, which is not an event source (letters, digits, dots, hyphens, underscores and slashes)`,
    });
  } else if (source !== undefined && RESERVED_SOURCE.test(source)) {
    context.addIssue({
      code: "custom",
      input: entry,
      message: `binds ${source}, a source of the flow's own (approvals.*) or of AWS (aws.*): an outside publisher binds a source of its own`,
    });
  }
  return source === undefined ? { principal } : { principal, source };
});

/** Cognito's rule for a provider name, less the corner cases: no underscores, no spaces. */
const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9.-]{1,30}[A-Za-z0-9]$/;

const providerName = z
  .string({ error: "must be the provider's name" })
  .regex(PROVIDER_NAME, "must be 3 to 32 letters, digits, dots or hyphens (the sign-in page shows it)");

/**
 * Whether the provider's email addresses count as verified for a user who signs in through it. The
 * API trusts a token's email (it decides who requested and who approves), so an address counts only
 * when someone vouches for it: an OpenID Provider per user with its `email_verified` claim; a SAML
 * provider, whose assertions have no standard word for it, per user through the attribute named in
 * `emailVerifiedAttribute`, or for every user with `trustEmails: true` (the operator vouches that the
 * organization's directory sets its users' addresses, not the users themselves).
 */
const trustEmails = z.boolean({ error: "must be true or false" }).optional();

/**
 * An organization's identity provider its users sign in with, besides the user pool's own accounts:
 * a SAML 2.0 provider by its metadata document, or an OpenID Provider by its issuer, with the client
 * the organization registered for the user pool (its secret kept in Secrets Manager, never in context).
 */
export const identityProviderSchema = z.discriminatedUnion(
  "type",
  [
    z
      .object({
        type: z.literal("saml"),
        name: providerName,
        metadataUrl: z.url({ protocol: /^https$/, error: "must be the https URL of the SAML metadata" }),
        emailVerifiedAttribute: z
          .string({ error: "must be the name of the SAML attribute saying whether the email is verified" })
          .min(1, "must be the name of the SAML attribute saying whether the email is verified")
          .optional(),
        trustEmails,
      })
      .refine((provider) => provider.trustEmails === true || provider.emailVerifiedAttribute !== undefined, {
        path: ["trustEmails"],
        message:
          "must be true, or emailVerifiedAttribute set: a SAML assertion does not say whether its email address is verified, and an unverified one is refused",
      }),
    z.object({
      type: z.literal("oidc"),
      name: providerName,
      issuerUrl: z.url({ protocol: /^https$/, error: "must be the OpenID Provider's https issuer URL" }),
      clientId: z.string({ error: "must be the client id registered with the provider" }).min(1),
      clientSecretArn: z
        .string({ error: "must be the ARN of the Secrets Manager secret holding the client secret" })
        .regex(SECRET_ARN, "must be the ARN of the Secrets Manager secret holding the client secret"),
      trustEmails,
    }),
  ],
  { error: 'must have a type of "saml" or "oidc"' },
);

export type IdentityProviderContext = z.output<typeof identityProviderSchema>;

/**
 * The start of every bucket name a request may ask for: the s3-launcher's role may create and configure
 * only buckets named so (`arn:aws:s3:::<prefix>*`), and intake refuses other names. It begins as a
 * bucket name does and keeps S3's alphabet, so every name it starts can still be valid.
 */
const BUCKET_NAME_PREFIX = /^[a-z0-9][a-z0-9.-]{1,39}$/;
const BUCKET_NAME_PREFIX_RULE =
  "must be 2 to 40 lowercase letters, digits, periods or hyphens, starting with a letter or digit (every bucket name a request asks for starts with it)";
/** S3 reserves these beginnings for itself (its bucket naming rules). */
const RESERVED_BUCKET_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];

/** The bucket-name prefix when the deployment names none. */
export const DEFAULT_BUCKET_NAME_PREFIX = "approvals-";

/** RDS keeps DB subnet group names in lowercase, and the launcher's role names the group by its ARN. */
const DB_SUBNET_GROUP_NAME = /^[a-z0-9][a-z0-9._-]{0,254}$/;

const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;

/** An image owner as IAM's ec2:Owner compares it: an owner alias, or an account id. */
const IMAGE_OWNER = /^(?:amazon|aws-marketplace|aws-backup-vault|\d{12})$/;
/** Images owned by Amazon (Amazon Linux, Windows Server) and Canonical (Ubuntu), which the default images are. */
export const DEFAULT_IMAGE_OWNERS = ["amazon", "099720109477"] as const;
/** One AMI by its ARN: images live in no account's ARN space, so the account field is empty. */
const IMAGE_ARN = /^arn:aws[a-z-]*:ec2:[a-z0-9-]+::image\/ami-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

/**
 * How many launches of each launcher run at once. Lambda keeps 100 of the account's concurrency
 * unreserved: the three launchers reserve three times this, so the default 5 needs an account limit of
 * 115, which every account above the new-account limit of 10 has (docs/DEPLOYMENT.md).
 */
export const DEFAULT_LAUNCHER_CONCURRENCY = 5;
const MAX_LAUNCHER_CONCURRENCY = 100;

const ACM_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]+$/;

/**
 * A secret's complete ARN, as the console and the CLI show it: its name and the six characters Secrets
 * Manager adds. The chat functions are granted exactly this ARN; a partial one would match no secret.
 */
const COMPLETE_SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/;

/** A KMS key by its ARN (a single-region key's id, or a multi-region key's `mrk-` id); IAM names no alias. */
const KMS_KEY_ARN =
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** A Slack channel by its id (C… public, G… private) or by its name as Slack writes names: lowercase, no spaces. */
const SLACK_CHANNEL = /^(?:[CG][A-Z0-9]{8,}|#[\p{Ll}\p{Lo}\p{N}_-]{1,80})$/u;

/**
 * A stage (dev, staging, prod): it starts every fixed name of the deployment, so stages share an account
 * and region. Short, and of the alphabet every such name allows (a Cognito domain is the strictest:
 * lowercase, and never the words it reserves).
 */
const STAGE = /^[a-z][a-z0-9]{0,11}$/;
const COGNITO_RESERVED = /aws|amazon|cognito/;

/** A tag as every AWS service takes it: key up to 128 characters, value up to 256, not `aws:`. */
const TAG_KEY = /^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/iu;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

/** A web ACL for CloudFront: WAF keeps those in us-east-1, with the scope `global`. */
const CLOUDFRONT_WEB_ACL_ARN =
  /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[\w-]{1,128}\/[0-9a-f-]{36}$/;

/** Requests per client IP per 5 minutes the portal's web ACL lets through before it blocks (`wafRateLimit`). */
export const DEFAULT_WAF_RATE_LIMIT = 1000;

/** Comma-separated ISO 8601 durations, kept as written for the services to read. */
const durationList = z
  .string()
  .refine(
    (text) => durationListSetting().safeParse(text).success,
    "must be comma-separated ISO 8601 durations such as P3D,P1D,PT2H",
  );

const deploymentContextSchema = z
  .object({
    // Unset: the names of a single deployment per account and region, as before stages existed.
    stage: optional(
      z
        .string()
        .regex(
          STAGE,
          "must be 1 to 12 lowercase letters or digits, starting with a letter (dev, staging, prod)",
        )
        .refine(
          (stage) => !COGNITO_RESERVED.test(stage),
          "must not contain aws, amazon or cognito (Cognito refuses them in its domain)",
        ),
    ),
    tags: optional(
      jsonSetting(
        '{"CostCenter": "1234", "Owner": "platform"}',
        z.record(
          z
            .string()
            .regex(
              TAG_KEY,
              "must be tag keys of up to 128 letters, digits, spaces and _.:/=+-@, not starting with aws:",
            ),
          z
            .string({ error: "must be a text value" })
            .regex(TAG_VALUE, "must be up to 256 letters, digits, spaces and _.:/=+-@"),
        ),
      ),
    ).transform((tags) => tags ?? {}),
    sender: z.email("must be an email address (the SES identity approval emails come from)"),
    // Unset: the sender's address alone is SES's identity, without DKIM (docs/DEPLOYMENT.md, section "SES").
    senderDomain: optional(
      z
        .string()
        .regex(
          /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
          "must be a lower-case DNS domain (example.org)",
        ),
    ),
    imageIds: optional(imageOverridesSchema),
    subnetId: optional(z.string().regex(SUBNET_ID, "must be a subnet id (subnet-0123abcd)")),
    securityGroupIds: optional(
      listOf(z.string().regex(SECURITY_GROUP_ID, "must be comma-separated security group ids (sg-0123abcd)")),
    ),
    // Unset: any subnet of the account, which only a deployment without subnetId may leave so.
    allowedSubnetIds: optional(
      listOf(z.string().regex(SUBNET_ID, "must be comma-separated subnet ids (subnet-0123abcd)")).pipe(
        z.array(z.string()).min(1, "must name at least one subnet"),
      ),
    ),
    allowedImageOwners: optional(
      listOf(
        z
          .string()
          .regex(
            IMAGE_OWNER,
            "must be comma-separated image owners: account ids (099720109477) or the aliases amazon, aws-marketplace, aws-backup-vault",
          ),
      ).pipe(z.array(z.string()).min(1, "must name at least one owner")),
    ).transform((owners) => owners ?? [...DEFAULT_IMAGE_OWNERS]),
    allowedImageArns: optional(
      listOf(
        z
          .string()
          .regex(
            IMAGE_ARN,
            "must be comma-separated image ARNs (arn:aws:ec2:eu-west-1::image/ami-0123456789abcdef0)",
          ),
      ),
    ),
    launcherConcurrency: optional(
      z.coerce
        .number({ error: "must be a number of concurrent launches" })
        .int("must be a whole number")
        .min(1, "must be at least 1")
        .max(MAX_LAUNCHER_CONCURRENCY, `must be at most ${MAX_LAUNCHER_CONCURRENCY}`),
    ).transform((concurrency) => concurrency ?? DEFAULT_LAUNCHER_CONCURRENCY),
    // Unset: the stack's own region only (deploymentRegionsOf).
    allowedRegions: optional(
      listOf(regionSchema)
        .pipe(z.array(z.string()).min(1, "must name at least one region"))
        .refine((regions) => new Set(regions).size === regions.length, "must not name a region twice"),
    ),
    defaultRegion: optional(regionSchema),
    bucketNamePrefix: optional(
      z
        .string()
        .regex(BUCKET_NAME_PREFIX, BUCKET_NAME_PREFIX_RULE)
        .refine((prefix) => !prefix.includes(".."), "must not hold two periods in a row (no bucket name may)")
        .refine(
          (prefix) => !RESERVED_BUCKET_PREFIXES.some((reserved) => prefix.startsWith(reserved)),
          `must not begin with ${RESERVED_BUCKET_PREFIXES.join(", ")}, which S3 reserves`,
        ),
    ).transform((prefix) => prefix ?? DEFAULT_BUCKET_NAME_PREFIX),
    dbSubnetGroupName: optional(
      z
        .string()
        .regex(
          DB_SUBNET_GROUP_NAME,
          "must be a DB subnet group name: lowercase letters, digits, periods, underscores and hyphens, as RDS keeps it",
        ),
    ),
    dbSecurityGroupIds: optional(
      listOf(
        z.string().regex(SECURITY_GROUP_ID, "must be comma-separated VPC security group ids (sg-0123abcd)"),
      ),
    ),
    // Unset, the services use LEASE_SETTING_DEFAULTS; each is checked again as the services read it.
    leaseDefault: optional(leaseDurationSchema),
    leaseMin: optional(leaseDurationSchema),
    leaseMax: optional(leaseDurationSchema),
    leaseReminders: optional(durationList),
    releaseCheckDelays: optional(durationList),
    sesSandbox: flag,
    approvalTtlSeconds: z.coerce
      .number({ error: "must be a number of seconds" })
      .int("must be a whole number of seconds")
      .min(300, "must be at least 300 seconds")
      .max(30 * 24 * 3600, "must be at most 30 days"),
    portalDomain: optional(
      z
        .hostname("must be a host name such as approvals.example.com")
        .regex(/\./, "must be a fully qualified name"),
    ),
    portalCertificateArn: optional(
      z
        .string()
        .regex(
          ACM_CERTIFICATE_ARN,
          "must be the ARN of an ACM certificate in us-east-1 (CloudFront's region)",
        ),
    ),
    publishers: listOf(publisher),
    identityProvider: optional(
      jsonSetting(
        '{"type": "saml", "name": "Corporate", "metadataUrl": "https://...", "trustEmails": true} or {"type": "oidc", "name": "Corporate", "issuerUrl": "https://...", "clientId": "...", "clientSecretArn": "arn:aws:secretsmanager:..."}',
        identityProviderSchema,
      ),
    ),
    decisionsRequireSignIn: flag,
    // A path relative to the repository; the file is checked once the rest of the context is.
    approvalPolicies: optional(z.string()).transform((path) =>
      resolve(REPO_ROOT, path ?? DEFAULT_POLICY_FILE),
    ),
    // Unset: chat is off, and no function may read any secret of it (docs/CHAT.md).
    chatSecretArn: optional(
      z
        .string()
        .regex(
          COMPLETE_SECRET_ARN,
          "must be the complete ARN of the Secrets Manager secret holding the chat settings, ending in the six characters Secrets Manager adds (arn:aws:secretsmanager:eu-west-1:123456789012:secret:approvals-chat-AbCdEf)",
        ),
    ),
    chatSecretKeyArn: optional(
      z
        .string()
        .regex(
          KMS_KEY_ARN,
          "must be the ARN of the KMS key encrypting the chat secret (arn:aws:kms:eu-west-1:123456789012:key/...), not an alias",
        ),
    ),
    slackApprovalsChannel: optional(
      z
        .string()
        .regex(
          SLACK_CHANNEL,
          "must be a Slack channel's id (C0123ABCDEF) or its name (#approvals: lowercase letters, digits, hyphens and underscores)",
        ),
    ),
    // Unset: no web ACL (docs/DEPLOYMENT.md, section "WAF").
    waf: optional(flag).transform((waf) => waf ?? false),
    wafRateLimit: optional(
      z.coerce
        .number({ error: "must be a number of requests" })
        .int("must be a whole number of requests")
        .min(10, "must be at least 10 (WAF's smallest rate limit)")
        .max(2_000_000_000, "must be at most 2000000000"),
    ),
    webAclArn: optional(
      z
        .string()
        .regex(
          CLOUDFRONT_WEB_ACL_ARN,
          "must be the ARN of a web ACL for CloudFront, in us-east-1 (arn:aws:wafv2:us-east-1:123456789012:global/webacl/NAME/ID)",
        ),
    ),
    // Unset: the alarms' topic has no subscriber until one is added (docs/DEPLOYMENT.md).
    alarmEmail: optional(z.email("must be an email address (the alarms' topic mails it once it confirms)")),
  })
  .superRefine((context, issues) => {
    // SES signs and verifies by the sender's domain: a domain identity covers its own addresses only.
    if (
      context.senderDomain !== undefined &&
      !context.sender.toLowerCase().endsWith(`@${context.senderDomain}`)
    )
      issues.addIssue({
        code: "custom",
        path: ["senderDomain"],
        message: `must be the domain of sender (${context.sender})`,
      });
    // A subnet sets the VPC: the launches' network is then the operator's to name, never the VPC's defaults.
    if (context.subnetId !== undefined) {
      if (context.allowedSubnetIds === undefined)
        issues.addIssue({
          code: "custom",
          path: ["allowedSubnetIds"],
          message: "is required when subnetId is set: name every subnet requests may launch into",
        });
      else if (!context.allowedSubnetIds.includes(context.subnetId))
        issues.addIssue({
          code: "custom",
          path: ["allowedSubnetIds"],
          message: `must include subnetId (${context.subnetId}), where requests that name no subnet launch`,
        });
      if (context.securityGroupIds === undefined)
        issues.addIssue({
          code: "custom",
          path: ["securityGroupIds"],
          message:
            "is required when subnetId is set: without it instances would get the VPC's default security group",
        });
    }
    for (const key of ["chatSecretKeyArn", "slackApprovalsChannel"] as const) {
      if (context[key] !== undefined && context.chatSecretArn === undefined)
        issues.addIssue({
          code: "custom",
          path: [key],
          message: "needs chatSecretArn: without the chat secret chat is off",
        });
    }
    if (context.webAclArn !== undefined && (context.waf || context.wafRateLimit !== undefined))
      issues.addIssue({
        code: "custom",
        path: ["webAclArn"],
        message:
          "names a web ACL of yours, and waf or wafRateLimit asks the stack for one: set one or the other",
      });
    if ((context.portalDomain === undefined) !== (context.portalCertificateArn === undefined)) {
      const missing = context.portalDomain === undefined ? "portalDomain" : "portalCertificateArn";
      issues.addIssue({
        code: "custom",
        path: [missing],
        message: "is required when portalDomain or portalCertificateArn is set: a custom domain needs both",
      });
    }
    if (context.defaultRegion === undefined) return;
    if (context.allowedRegions === undefined) {
      issues.addIssue({
        code: "custom",
        path: ["defaultRegion"],
        message:
          "needs allowedRegions: without it requests may use the stack's own region only, which is then the default",
      });
    } else if (!context.allowedRegions.includes(context.defaultRegion)) {
      issues.addIssue({
        code: "custom",
        path: ["defaultRegion"],
        message: `must be one of allowedRegions (${context.allowedRegions.join(", ")})`,
      });
    }
  });

export type DeploymentContext = z.output<typeof deploymentContextSchema>;

/** The context keys a deployment reads, in the order the docs explain them. */
export const DEPLOYMENT_CONTEXT_KEYS = Object.keys(
  deploymentContextSchema.shape,
) as (keyof DeploymentContext)[];

/**
 * Reads and checks the deployment's settings at synth time, so a wrong value fails before anything is
 * deployed, with every bad key named.
 */
export const readDeploymentContext = (node: Pick<Node, "tryGetContext">): DeploymentContext => {
  const raw = Object.fromEntries(DEPLOYMENT_CONTEXT_KEYS.map((key) => [key, node.tryGetContext(key)]));
  const result = deploymentContextSchema.safeParse(raw);
  if (result.success) {
    try {
      loadPolicies(result.data.approvalPolicies);
    } catch (error) {
      if (error instanceof PolicyFileError) throw new DeploymentContextError(error.message, { cause: error });
      throw error;
    }
    return result.data;
  }
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0]);
    return raw[key] === undefined && issue.code !== "custom"
      ? `${key} is not set (pass -c ${key}=... or set it in cdk.json)`
      : `${settingEntryOf(issue.path)} ${issue.message}`;
  });
  throw new DeploymentContextError(`Invalid deployment context: ${problems.join("; ")}`, {
    cause: result.error,
  });
};

/** The regions requests may ask for, and the one a request that names none gets. */
export interface DeploymentRegions {
  allowed: readonly string[];
  defaultRegion: string;
}

/**
 * The context's regions on a stack in `stackRegion` (a token on an environment-agnostic stack):
 * without allowedRegions, the stack's region alone; without defaultRegion, the stack's region, which
 * must then be allowed.
 */
export const deploymentRegionsOf = (context: DeploymentContext, stackRegion: string): DeploymentRegions => {
  const { allowedRegions, defaultRegion } = context;
  if (allowedRegions === undefined) return { allowed: [stackRegion], defaultRegion: stackRegion };
  if (defaultRegion !== undefined) return { allowed: allowedRegions, defaultRegion };
  if (Token.isUnresolved(stackRegion))
    throw new DeploymentContextError(
      "defaultRegion is not set, and the stack's region is not known at synth to default to: set defaultRegion to one of allowedRegions, or synthesize with a region (AWS_REGION or a profile's)",
    );
  if (!allowedRegions.includes(stackRegion))
    throw new DeploymentContextError(
      `defaultRegion is not set, and the stack's region ${stackRegion} is not among allowedRegions (${allowedRegions.join(", ")}): set defaultRegion to one of them`,
    );
  return { allowed: allowedRegions, defaultRegion: stackRegion };
};

/** The application's name in tags, and the start of the stack's name. */
export const APPLICATION = "resource-approvals";
const STACK_BASE_NAME = "ResourceApprovals";

/**
 * A fixed name of the deployment (the stack's, the bus's, the sign-in domain's), started with its stage
 * when it has one: names that would clash between two deployments in one account and region are all
 * made here.
 */
export const stagedName = (context: Pick<DeploymentContext, "stage">, name: string): string =>
  context.stage ? `${context.stage}-${name}` : name;

/** The stack's name: `ResourceApprovals`, or `<stage>-ResourceApprovals`. */
export const stackNameOf = (context: Pick<DeploymentContext, "stage">): string =>
  stagedName(context, STACK_BASE_NAME);

/** The tags every resource carries: the context's own `tags`, then ours, which they cannot replace. */
export const resourceTagsOf = (
  context: Pick<DeploymentContext, "stage" | "tags">,
): Record<string, string> => ({
  ...context.tags,
  Application: APPLICATION,
  ...(context.stage && { Stage: context.stage }),
  ManagedBy: "cdk",
});

/** Tags every taggable resource under `scope` (the whole app) with resourceTagsOf. */
export const tagDeployment = (
  scope: IConstruct,
  context: Pick<DeploymentContext, "stage" | "tags">,
): void => {
  for (const [key, value] of Object.entries(resourceTagsOf(context))) Tags.of(scope).add(key, value);
};

/** The portal's web ACL: one the stack makes (`waf`, `wafRateLimit`), or one of yours (`webAclArn`). */
export type PortalFirewall = { kind: "created"; rateLimit: number } | { kind: "existing"; webAclArn: string };

export const portalFirewallOf = (
  context: Pick<DeploymentContext, "waf" | "wafRateLimit" | "webAclArn">,
): PortalFirewall | undefined => {
  if (context.webAclArn) return { kind: "existing", webAclArn: context.webAclArn };
  if (context.waf || context.wafRateLimit !== undefined)
    return { kind: "created", rateLimit: context.wafRateLimit ?? DEFAULT_WAF_RATE_LIMIT };
  return undefined;
};

/** Domains reserved for documentation and tests (RFC 2606, RFC 6761): no mail to them is ever delivered. */
const PLACEHOLDER_DOMAIN = /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$/i;

const isPlaceholder = (email: string) => PLACEHOLDER_DOMAIN.test(email.split("@").pop() ?? "");

/**
 * The addresses of the deployment that no mail can reach: the sender, and the approvers the policy file
 * names by email (its stages and escalations), at a domain reserved for examples. Fine to synthesize,
 * never to deploy: SES cannot verify such a sender, and such an approver is never asked.
 */
export const placeholderAddressesOf = (context: Pick<DeploymentContext, "sender" | "approvalPolicies">) => {
  const { conditional, fallback } = loadPolicies(context.approvalPolicies);
  const approvers = [...conditional, fallback].flatMap(({ outcome }) =>
    outcome.kind === "stages"
      ? [
          ...outcome.stages.map((stage) => stage.approvers),
          ...(outcome.escalation ? [outcome.escalation.to] : []),
        ]
      : [],
  );
  return [
    ...(isPlaceholder(context.sender) ? [`sender ${context.sender}`] : []),
    ...[...new Set(approvers.flatMap(({ emails }) => emails))]
      .filter(isPlaceholder)
      .map((email) => `approver ${email} (${context.approvalPolicies})`),
  ];
};
