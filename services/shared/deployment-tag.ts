import { env, loadConfig } from "./config.ts";

/**
 * The tag every resource a launcher creates carries, valued with the deployment's name: on AWS the
 * stack's, which the launchers' permissions require at creation and on every release, so a stack
 * releases only what it created itself; locally `local`. Its `:` is allowed in EC2, RDS and S3 tag
 * keys alike, and `aws:` (AWS's own prefix) it is not.
 */
export const DEPLOYMENT_TAG_KEY = "approvals:stack";

/** DEPLOYMENT_NAME: what the deployment tags its resources with (the CDK app sets the stack's name). */
export const loadDeploymentName = (environment: Record<string, string | undefined> = process.env): string =>
  loadConfig({ DEPLOYMENT_NAME: env.text() }, environment).DEPLOYMENT_NAME;
