import type { Node } from "constructs";
import { z } from "zod";
import { imageOverridesSchema } from "../../services/ec2-launcher/domain.ts";
import { jsonSetting, settingEntryOf } from "../../services/shared/config.ts";

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
/** Cognito's rule for a provider name, less the corner cases: no underscores, no spaces. */
const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9.-]{1,30}[A-Za-z0-9]$/;

const providerName = z
  .string({ error: "must be the provider's name" })
  .regex(PROVIDER_NAME, "must be 3 to 32 letters, digits, dots or hyphens (the sign-in page shows it)");

/**
 * An organization's identity provider its users sign in with, besides the user pool's own accounts:
 * a SAML 2.0 provider by its metadata document, or an OpenID Provider by its issuer, with the client
 * the organization registered for the user pool (its secret kept in Secrets Manager, never in context).
 */
export const identityProviderSchema = z.discriminatedUnion(
  "type",
  [
    z.object({
      type: z.literal("saml"),
      name: providerName,
      metadataUrl: z.url({ protocol: /^https$/, error: "must be the https URL of the SAML metadata" }),
    }),
    z.object({
      type: z.literal("oidc"),
      name: providerName,
      issuerUrl: z.url({ protocol: /^https$/, error: "must be the OpenID Provider's https issuer URL" }),
      clientId: z.string({ error: "must be the client id registered with the provider" }).min(1),
      clientSecretArn: z
        .string({ error: "must be the ARN of the Secrets Manager secret holding the client secret" })
        .regex(SECRET_ARN, "must be the ARN of the Secrets Manager secret holding the client secret"),
    }),
  ],
  { error: 'must have a type of "saml" or "oidc"' },
);

export type IdentityProviderContext = z.output<typeof identityProviderSchema>;

const ACM_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]+$/;

const deploymentContextSchema = z
  .object({
    approvers: listOf(z.email("must be comma-separated email addresses")).pipe(
      z.array(z.string()).min(1, "must name at least one approver email address"),
    ),
    sender: z.email("must be an email address (the SES identity approval emails come from)"),
    imageIds: optional(imageOverridesSchema),
    subnetId: optional(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "must be a subnet id (subnet-0123abcd)")),
    securityGroupIds: optional(
      listOf(
        z.string().regex(/^sg-[0-9a-f]{8,17}$/, "must be comma-separated security group ids (sg-0123abcd)"),
      ),
    ),
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
    publishers: listOf(
      z
        .string()
        .refine(
          (publisher) => ACCOUNT_ID.test(publisher) || ROLE_ARN.test(publisher),
          "must be comma-separated account ids (123456789012) or IAM role ARNs",
        ),
    ),
    identityProvider: optional(
      jsonSetting(
        '{"type": "saml", "name": "Corporate", "metadataUrl": "https://..."} or {"type": "oidc", "name": "Corporate", "issuerUrl": "https://...", "clientId": "...", "clientSecretArn": "arn:aws:secretsmanager:..."}',
        identityProviderSchema,
      ),
    ),
    decisionsRequireSignIn: flag,
  })
  .superRefine((context, issues) => {
    if ((context.portalDomain === undefined) !== (context.portalCertificateArn === undefined)) {
      const missing = context.portalDomain === undefined ? "portalDomain" : "portalCertificateArn";
      issues.addIssue({
        code: "custom",
        path: [missing],
        message: "is required when portalDomain or portalCertificateArn is set: a custom domain needs both",
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
  if (result.success) return result.data;
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
