import type { ServiceManifest } from "../../services/shared/manifest.ts";
import type { LocalConfig } from "./config.ts";
import { type LocalUser, subjectOf } from "./identity/users.ts";

/**
 * What the services that declare `needs.directory` read locally instead of a user pool: DIRECTORY_USERS,
 * the identity provider's own users, each with the subject its tokens carry, so a service tells the
 * requester apart by subject as on AWS. Nothing when no service declares it, as on AWS.
 */
export const localDirectoryEnvironment = (
  services: readonly ServiceManifest[],
  users: readonly LocalUser[],
): { DIRECTORY_USERS?: string } =>
  services.some((service) => service.needs.directory)
    ? { DIRECTORY_USERS: JSON.stringify(users.map((user) => ({ ...user, subject: subjectOf(user.email) }))) }
    : {};

/**
 * What the services that declare `needs.policies` read locally instead of an embedded document: the
 * path of the policy file the local configuration checked at start.
 */
export const localPoliciesEnvironment = (
  services: readonly ServiceManifest[],
  policyFile: string,
): { APPROVAL_POLICIES?: string } =>
  services.some((service) => service.needs.policies) ? { APPROVAL_POLICIES: policyFile } : {};

/** Where the local stand-ins for Slack and Teams answer (infra/local/chat), and the Slack app's credentials. */
export interface LocalChatStandIn {
  slackApiUrl: string;
  teamsWebhookUrl: string;
  botToken: string;
  signingSecret: string;
}

/**
 * What the services that declare `needs.chat` read locally instead of the chat secret: the stand-ins',
 * unless the local configuration names a real Slack app (its bot token and signing secret, and Slack's
 * own Web API) or a real Teams workflow. Nothing when no service declares it, as on AWS.
 */
export const localChatEnvironment = (
  services: readonly ServiceManifest[],
  config: Pick<
    LocalConfig,
    "SLACK_BOT_TOKEN" | "SLACK_SIGNING_SECRET" | "SLACK_APPROVALS_CHANNEL" | "TEAMS_WEBHOOK_URL"
  >,
  standIn: LocalChatStandIn,
): Record<string, string> => {
  if (!services.some((service) => service.needs.chat)) return {};
  const { SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET } = config;
  return {
    ...(SLACK_BOT_TOKEN !== undefined && SLACK_SIGNING_SECRET !== undefined
      ? { SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET }
      : {
          SLACK_BOT_TOKEN: standIn.botToken,
          SLACK_SIGNING_SECRET: standIn.signingSecret,
          SLACK_API_URL: standIn.slackApiUrl,
        }),
    ...(config.SLACK_APPROVALS_CHANNEL && { SLACK_APPROVALS_CHANNEL: config.SLACK_APPROVALS_CHANNEL }),
    TEAMS_WEBHOOK_URL: config.TEAMS_WEBHOOK_URL ?? standIn.teamsWebhookUrl,
  };
};
