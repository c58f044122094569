import { resolve } from "node:path";
import { z } from "zod";
import { DEFAULT_POLICY_FILE, loadPolicies, PolicyFileError } from "../../policy/index.ts";
import { imageOverridesSchema } from "../../services/ec2-launcher/domain.ts";
import { intakeRulesOf } from "../../services/intake/rules.ts";
import { ChatSettingsError, chatSettingsOf, webhookUrl } from "../../services/shared/chat-settings.ts";
import { ConfigError, env, loadConfig, settingEntryOf } from "../../services/shared/config.ts";
import {
  LeaseSettingsError,
  loadLeaseReminders,
  loadReleaseCheckDelays,
} from "../../services/shared/lease-settings.ts";
import { DEFAULT_LOCAL_USERS, localUsersSchema } from "./identity/users.ts";

const DEFAULT_EDGE_PORT = 4566;

const port = (fallback: number) => env.wholeNumber(0, 65535).default(fallback);

const localConfigSchema = z.object({
  DATA_DIR: z.string().min(1).default(".data"),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: port(3000),
  EDGE_PORT: port(DEFAULT_EDGE_PORT),
  MAIL_PORT: port(8005),
  IDP_PORT: port(8010),
  PUBLIC_URL: env.url().optional(),
  // The services parse these again from what the runtime hands them: the same parsers, so both agree.
  APPROVAL_TTL_SECONDS: env.positiveInt().default(72 * 3600),
  SENDER: env.email().default("approvals@example.com"),
  DECISIONS_REQUIRE_SIGN_IN: env.flag(),
  AWS_REGION: z.string().min(1).default("us-east-1"),
  // A second region by default, so local mode shows a request made elsewhere; checked as intake reads them.
  ALLOWED_REGIONS: z.string().min(1).default("us-east-1,eu-west-1"),
  DEFAULT_REGION: z.string().min(1).default("us-east-1"),
  BUCKET_NAME_PREFIX: z.string().optional(),
  // Empty: any subnet, as on AWS without allowedSubnetIds; the local EC2 has subnets of any id.
  ALLOWED_SUBNET_IDS: z.string().default(""),
  // Unset, local mode launches from the same public image parameters as AWS, which the local EC2 resolves.
  IMAGE_IDS: imageOverridesSchema.optional(),
  EC2_BOOT_DELAY_MS: env.wholeNumber(0).default(2000),
  // How long a local DB instance stays `creating`; its PostgreSQL then takes a few seconds more to start.
  RDS_CREATE_DELAY_MS: env.wholeNumber(0).default(3000),
  // With 200 ms doubling up to the 60 s cap, 12 attempts span about four minutes: longer than any
  // handler's in-progress claim, so a delivery that races a crashed one is not dead-lettered too early.
  BUS_MAX_ATTEMPTS: env.wholeNumber(1).default(12),
  BUS_RETRY_BASE_MS: env.wholeNumber(1).default(200),
  SWEEP_INTERVAL_MS: env.wholeNumber(1).optional(),
  // Leases and the reaper's checks: the services read them (services/shared/lease-settings.ts); tests set seconds.
  LEASE_DEFAULT: env.text().optional(),
  LEASE_MIN: env.text().optional(),
  LEASE_MAX: env.text().optional(),
  LEASE_REMINDERS: env.text().optional(),
  RELEASE_CHECK_DELAYS: env.text().optional(),
  LOCAL_USERS: localUsersSchema.prefault(DEFAULT_LOCAL_USERS),
  APPROVAL_POLICIES: env.text().optional(),
  // Unset, the services talk to the stand-ins for Slack and Teams on the mailbox port (infra/local/chat);
  // set, to Slack (the bot token and signing secret of a real app) or a real Teams workflow.
  SLACK_BOT_TOKEN: env.text().optional(),
  SLACK_SIGNING_SECRET: env.text().optional(),
  // The channel that also gets every approval request: the stand-in's #approvals; empty turns it off.
  SLACK_APPROVALS_CHANNEL: z.string().trim().default("#approvals"),
  TEAMS_WEBHOOK_URL: webhookUrl().optional(),
});

export type LocalConfig = z.output<typeof localConfigSchema> & {
  PUBLIC_URL: string;
  APPROVAL_POLICIES: string;
};

/**
 * LOCAL_USERS is a list of users that differ from one another: its problems name the entry at fault
 * by its position, as `LOCAL_USERS[1].groups[0]`; every other setting reads as `settingEntryOf` says.
 */
const localSettingEntryOf = (path: readonly PropertyKey[]): string =>
  path[0] === "LOCAL_USERS"
    ? path
        .map((segment) => (typeof segment === "number" ? `[${segment}]` : `.${String(segment)}`))
        .join("")
        .slice(1)
    : settingEntryOf(path);

/** Local mode's settings, from the environment, checked before anything starts. */
export const loadLocalConfig = (env: Record<string, string | undefined> = process.env): LocalConfig => {
  const result = localConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${localSettingEntryOf(issue.path)} ${issue.message}`,
    );
    throw new ConfigError(`Invalid local configuration: ${problems.join("; ")}`, { cause: result.error });
  }
  const config = result.data;
  const {
    ALLOWED_REGIONS,
    DEFAULT_REGION,
    BUCKET_NAME_PREFIX,
    ALLOWED_SUBNET_IDS,
    LEASE_DEFAULT,
    LEASE_MIN,
    LEASE_MAX,
  } = config;
  try {
    intakeRulesOf({
      ALLOWED_REGIONS,
      DEFAULT_REGION,
      BUCKET_NAME_PREFIX,
      ALLOWED_SUBNET_IDS,
      LEASE_DEFAULT,
      LEASE_MIN,
      LEASE_MAX,
    });
    // The lease service and the launchers' reapers read these when they start: a bad one stops this start instead.
    loadLeaseReminders({ LEASE_REMINDERS: config.LEASE_REMINDERS });
    loadReleaseCheckDelays({ RELEASE_CHECK_DELAYS: config.RELEASE_CHECK_DELAYS });
    // A real Slack app needs both; the chat service would refuse one without the other at its first event.
    chatSettingsOf(config, {}, { token: "SLACK_BOT_TOKEN", signingSecret: "SLACK_SIGNING_SECRET" });
  } catch (error) {
    if (error instanceof LeaseSettingsError)
      throw new ConfigError(`Invalid local configuration: ${error.message}`, { cause: error });
    if (error instanceof ChatSettingsError) throw new ConfigError(error.message, { cause: error });
    throw error;
  }
  const policyFile = resolve(config.APPROVAL_POLICIES ?? DEFAULT_POLICY_FILE);
  try {
    loadPolicies(policyFile);
  } catch (error) {
    if (error instanceof PolicyFileError) throw new ConfigError(error.message, { cause: error });
    throw error;
  }
  return {
    ...config,
    PUBLIC_URL: config.PUBLIC_URL ?? `http://localhost:${config.PORT}`,
    APPROVAL_POLICIES: policyFile,
  };
};

/**
 * `npm run dlq`'s settings: where the running local runtime's edge answers (with no EDGE_URL, on the
 * EDGE_PORT the runtime was started with), and its DATA_DIR, which holds the credentials it signs with.
 */
export const loadDeadLetterCliConfig = (environment: Record<string, string | undefined> = process.env) => {
  const { EDGE_URL, EDGE_PORT, DATA_DIR } = loadConfig(
    {
      EDGE_URL: env.url().optional(),
      EDGE_PORT: port(DEFAULT_EDGE_PORT),
      DATA_DIR: localConfigSchema.shape.DATA_DIR,
    },
    environment,
  );
  return { EDGE_URL: EDGE_URL ?? `http://localhost:${EDGE_PORT}`, DATA_DIR };
};
