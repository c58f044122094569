import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { Ec2InstanceStateChange } from "../../events/ec2-state-change.ts";
import { LEASE_SETTING_DEFAULTS } from "../../services/shared/lease-settings.ts";
import type { ServiceManifest } from "../../services/shared/manifest.ts";
import { standInCredentials } from "./chat/credentials.ts";
import type { LocalConfig } from "./config.ts";
import { claimDataDir } from "./data-dir-claim.ts";
import { dynamoDbService } from "./dynamodb.ts";
import { createEc2Api } from "./ec2/ec2-api.ts";
import { LocalEc2 } from "./ec2/local-ec2.ts";
import { OUTSIDE_PRINCIPAL, type Principal, servicesPrincipal } from "./edge/principals.ts";
import { type RunningEdge, startEdge } from "./edge/server.ts";
import { jsonError, type ServiceHandler } from "./edge/types.ts";
import { approvalsBusPolicy, createEventBridgeApi } from "./eventbridge/api.ts";
import { deadLetterRoutes, LocalEventBus } from "./eventbridge/bus.ts";
import { newBusEvent } from "./eventbridge/envelope.ts";
import { LOCAL_ACCOUNT_ID } from "./eventbridge/types.ts";
import { rulesOf } from "./functions.ts";
import { startHttpServer } from "./http-server.ts";
import { LOCAL_PORTAL_CLIENT_ID } from "./identity/portal-client.ts";
import { startIdentityProvider } from "./identity/server.ts";
import { type Mailbox, startMailbox } from "./mailbox.ts";
import {
  type LocalChatStandIn,
  localChatEnvironment,
  localDirectoryEnvironment,
  localPoliciesEnvironment,
} from "./needs-environment.ts";
import { createPricingApi } from "./pricing/api.ts";
import { loadPriceSnapshot } from "./pricing/snapshot.ts";
import { publishOnDefaultBus } from "./rds/bus-events.ts";
import { LocalRds } from "./rds/local-rds.ts";
import { createRdsApi } from "./rds/rds-api.ts";
import { createSecretsManagerApi } from "./rds/secrets-api.ts";
import { type LocalS3, startLocalS3 } from "./s3/s3-api.ts";
import { createSchedulerApi } from "./scheduler/api.ts";
import { LocalScheduler } from "./scheduler/scheduler.ts";
import {
  LOCAL_SCHEDULE_GROUP,
  LOCAL_SCHEDULER_ROLE_ARN,
  localScheduleEnvironment,
} from "./scheduler/stack-resources.ts";
import { readOrCreateSecretFile } from "./secret-file.ts";
import { publishSesFeedback } from "./ses-events.ts";
import { ensureTables, tableNameEnvironment } from "./tables.ts";

export interface LocalStack {
  portalUrl: string;
  edgeUrl: string;
  mailboxUrl: string;
  /** The stand-ins' pages for Slack and Teams, on the mailbox's port (JSON under `/messages` of each). */
  slackUrl: string;
  teamsUrl: string;
  /** The local OpenID Provider: the issuer of every local token. */
  identityProviderUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

type Log = (line: string) => void;

/** What a phase started, closed in reverse order when the stack stops or a later phase fails. */
class Shutdown {
  private readonly steps: (() => Promise<unknown>)[] = [];
  constructor(private readonly log: Log) {}
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  readonly run = async (): Promise<void> => {
    for (const step of this.steps.splice(0).reverse())
      await step().catch((error) => this.log(`shutdown: ${String(error)}`));
  };
}

/** The HMAC key for decision links: made once per data directory so links survive restarts. */
const localHmacSecret = async (dataDir: string): Promise<string> =>
  (
    await readOrCreateSecretFile(join(dataDir, "hmac-secret"), () => randomBytes(32).toString("base64url"))
  ).trim();

/** DynamoDB: dynalite, kept under the data directory, reached only through the edge. */
const startDatabase = async (dataDir: string, shutdown: Shutdown) => {
  const database = dynalite({
    path: join(dataDir, "dynamodb"),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  // It listens (on a private port) only because its close() refuses to shut the database down otherwise.
  database.listen(0, "127.0.0.1");
  await Promise.race([
    once(database, "listening"),
    once(database, "error").then(([error]) => Promise.reject(error)),
  ]);
  shutdown.add(() => new Promise((done) => database.close(done)));
  return database;
};

/** The durable bus, with a rule per subscription of every service. */
const startBus = (config: LocalConfig, dataDir: string, services: readonly ServiceManifest[], log: Log) => {
  const report = (message: string, details?: unknown) =>
    log(`[bus] ${message} ${details ? JSON.stringify(details) : ""}`);
  return new LocalEventBus({
    dataDir,
    busNames: [DEFAULT_BUS, APPROVALS_BUS],
    rules: rulesOf(services, config.AWS_REGION),
    maxAttempts: config.BUS_MAX_ATTEMPTS,
    retryBaseDelayMs: config.BUS_RETRY_BASE_MS,
    region: config.AWS_REGION,
    scheduleIntervalOverrideMs: config.SWEEP_INTERVAL_MS,
    logger: { info: () => undefined, warn: report, error: report },
  });
};

/** EventBridge Scheduler, firing into the bus; it makes the stack's schedule group on the first start. */
const openScheduler = (config: LocalConfig, dataDir: string, bus: LocalEventBus, log: Log) => {
  const report = (message: string, details?: unknown) =>
    log(`${message} ${details ? JSON.stringify(details) : ""}`);
  return LocalScheduler.open({
    dataDir,
    bus,
    region: config.AWS_REGION,
    roleArn: LOCAL_SCHEDULER_ROLE_ARN,
    groups: [LOCAL_SCHEDULE_GROUP],
    logger: { warn: report, error: report },
  });
};

/**
 * What a Lambda function's environment would hold, for the handlers running in this process: they sign
 * with the stack's own credentials, as functions do with their role's.
 */
const configureServiceEnvironment = async (
  config: LocalConfig,
  dataDir: string,
  edgeUrl: string,
  services: readonly ServiceManifest[],
  servicesRole: Principal,
  identityIssuer: string,
  chat: LocalChatStandIn,
) => {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: edgeUrl,
    AWS_REGION: config.AWS_REGION,
    AWS_ACCESS_KEY_ID: servicesRole.accessKeyId,
    AWS_SECRET_ACCESS_KEY: servicesRole.secretAccessKey,
    EVENT_BUS_NAME: APPROVALS_BUS,
    SENDER: config.SENDER,
    APPROVAL_TTL_SECONDS: String(config.APPROVAL_TTL_SECONDS),
    PUBLIC_URL: config.PUBLIC_URL,
    DECISIONS_REQUIRE_SIGN_IN: String(config.DECISIONS_REQUIRE_SIGN_IN),
    ALLOWED_REGIONS: config.ALLOWED_REGIONS,
    DEFAULT_REGION: config.DEFAULT_REGION,
    ALLOWED_SUBNET_IDS: config.ALLOWED_SUBNET_IDS,
    // What the launchers tag their resources with as this deployment's; on AWS, the stack's name.
    DEPLOYMENT_NAME: "local",
    ...(config.BUCKET_NAME_PREFIX && { BUCKET_NAME_PREFIX: config.BUCKET_NAME_PREFIX }),
    ...Object.fromEntries(
      LEASE_SETTINGS.flatMap((name) => (config[name] === undefined ? [] : [[name, config[name]]])),
    ),
    HMAC_SECRET: await localHmacSecret(dataDir),
    ...(config.IMAGE_IDS && { IMAGE_IDS: JSON.stringify(config.IMAGE_IDS) }),
    // The API checks bearer tokens against the local provider as API Gateway's authorizer does against Cognito.
    AUTH_ISSUER: identityIssuer,
    AUTH_AUDIENCE: LOCAL_PORTAL_CLIENT_ID,
    AUTH_JWKS_URL: `${identityIssuer}/jwks`,
    POWERTOOLS_SERVICE_NAME: "approvals-local",
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? "WARN",
    ...tableNameEnvironment(services.flatMap((service) => service.tables)),
    ...localScheduleEnvironment(services, config.AWS_REGION),
    ...localDirectoryEnvironment(services, config.LOCAL_USERS),
    ...localPoliciesEnvironment(services, config.APPROVAL_POLICIES),
    ...localChatEnvironment(services, config, chat),
  });
};

/** The lease settings a local run may set, passed on to the services that read them. */
const LEASE_SETTINGS = Object.keys(LEASE_SETTING_DEFAULTS) as (keyof typeof LEASE_SETTING_DEFAULTS)[];

const createTables = async (config: LocalConfig, edgeUrl: string, services: readonly ServiceManifest[]) => {
  // After configureServiceEnvironment: it signs with the stack's credentials, as a deployment would.
  const client = new DynamoDBClient({ endpoint: edgeUrl, region: config.AWS_REGION });
  try {
    await ensureTables(
      client,
      services.flatMap((service) => service.tables),
    );
  } finally {
    client.destroy();
  }
};

/** The local EC2, reporting each instance's state changes on the default bus, in its region, as AWS does. */
const startEc2 = (config: LocalConfig, dataDir: string, bus: LocalEventBus) =>
  new LocalEc2({
    dataDir,
    region: config.AWS_REGION,
    bootDelayMs: config.EC2_BOOT_DELAY_MS,
    // One bus stands in for every region's default bus and the forwarding to the stack's: the envelope
    // names the instance's region, as a forwarded event does.
    onStateChange: (instanceId, state, region) =>
      bus.accept([
        {
          eventBusName: DEFAULT_BUS,
          event: newBusEvent({
            source: Ec2InstanceStateChange.source,
            detailType: Ec2InstanceStateChange.detailType,
            detail: { "instance-id": instanceId, state },
            region,
            resources: [`arn:aws:ec2:${region}:${LOCAL_ACCOUNT_ID}:instance/${instanceId}`],
          }),
        },
      ]),
  });

/** The local RDS, reporting each DB instance's events on the default bus in the instance's region, as AWS does. */
const startRds = (config: LocalConfig, dataDir: string, bus: LocalEventBus) =>
  LocalRds.open({
    dataDir,
    host: config.HOST,
    createDelayMs: config.RDS_CREATE_DELAY_MS,
    onEvent: publishOnDefaultBus(bus),
  });

/** What answers once RDS has started: its API, and Secrets Manager's for the secrets it manages. */
interface RdsApis {
  rds: ServiceHandler;
  secretsmanager: ServiceHandler;
}

/**
 * One AWS-compatible endpoint for every API the services call; EC2 answers once it has started. It
 * knows two principals: the stack's services and any outside client, with the README's credentials.
 */
const startAwsEdge = async (
  config: LocalConfig,
  parts: {
    bus: LocalEventBus;
    scheduler: LocalScheduler;
    database: ReturnType<typeof dynalite>;
    mailbox: Mailbox;
    s3: LocalS3;
  },
  servicesRole: Principal,
  ec2: () => ServiceHandler | undefined,
  rds: () => RdsApis | undefined,
): Promise<RunningEdge> =>
  startEdge({
    port: config.EDGE_PORT,
    host: config.HOST,
    publicUrl: config.PUBLIC_URL,
    principals: [servicesRole, OUTSIDE_PRINCIPAL],
    services: {
      events: createEventBridgeApi({
        bus: parts.bus,
        reservedSources: [approvalsBusPolicy(servicesRole.arn)],
      }),
      ec2: (request) =>
        ec2()?.(request) ?? Promise.resolve(jsonError(503, "ServiceUnavailable", "EC2 is starting")),
      rds: (request) =>
        rds()?.rds(request) ?? Promise.resolve(jsonError(503, "ServiceUnavailable", "RDS is starting")),
      secretsmanager: (request) =>
        rds()?.secretsmanager(request) ??
        Promise.resolve(jsonError(503, "ServiceUnavailable", "Secrets Manager is starting")),
      dynamodb: dynamoDbService(parts.database),
      ses: parts.mailbox.sesApi,
      email: parts.mailbox.sesApi,
      scheduler: createSchedulerApi(parts.scheduler),
      s3: parts.s3.api,
      // The Price List from the committed snapshot, as AWS answers it from us-east-1.
      pricing: createPricingApi(loadPriceSnapshot()),
    },
    localRoutes: deadLetterRoutes(parts.bus, [servicesRole]),
  });

/** The OpenID Provider the portal signs in with, on its own port, keeping its keys under the data directory. */
const startIdentity = async (config: LocalConfig, dataDir: string, shutdown: Shutdown, log: Log) => {
  const identity = await startIdentityProvider({
    host: config.HOST,
    port: config.IDP_PORT,
    dataDir,
    publicUrl: config.PUBLIC_URL,
    users: config.LOCAL_USERS,
    log,
  });
  shutdown.add(() => identity.close());
  return identity;
};

/**
 * Starts everything local mode runs on one machine, in order: storage, the mailbox, the bus with every
 * service's rules and the Scheduler firing into it, the AWS edge, the identity provider (whose issuer
 * the services' environment names), the services' environment and tables, the bus and then the
 * Scheduler (in one turn: see LocalScheduler.start), EC2 and RDS (which report on the bus from their
 * first moment), then the HTTP server for the portal, the API and the decision pages.
 */
export const startLocalStack = async (config: LocalConfig, log: Log = () => {}): Promise<LocalStack> => {
  const dataDir = resolve(config.DATA_DIR);
  await mkdir(join(dataDir, "dynamodb"), { recursive: true });
  const claim = await claimDataDir(dataDir);
  const shutdown = new Shutdown(log);
  shutdown.add(claim.release);

  try {
    const { services } = await import("../../services/registry.ts");
    const database = await startDatabase(dataDir, shutdown);
    const chatCredentials = await standInCredentials(dataDir);
    const bus = startBus(config, dataDir, services, log);
    shutdown.add(() => bus.close());
    // Closed before the bus it reports SES's feedback into.
    const mailbox = await startMailbox({
      host: config.HOST,
      port: config.MAIL_PORT,
      dataDir,
      publicUrl: config.PUBLIC_URL,
      // Slack sends interactions to the app's public URL, as its Request URL names it.
      chat: { users: config.LOCAL_USERS, portalUrl: config.PUBLIC_URL, ...chatCredentials },
      onEmail: publishSesFeedback(bus, config.AWS_REGION, log),
    });
    shutdown.add(() => mailbox.close());
    const mailboxUrl = `http://localhost:${mailbox.port}`;
    // Closed before the bus it fires into.
    const scheduler = await openScheduler(config, dataDir, bus, log);
    shutdown.add(() => scheduler.close());

    // Closed after the edge that calls it.
    const s3 = await startLocalS3(dataDir);
    shutdown.add(() => s3.close());

    let ec2Api: ServiceHandler | undefined;
    let rdsApis: RdsApis | undefined;
    const servicesRole = await servicesPrincipal(dataDir);
    const edge = await startAwsEdge(
      config,
      { bus, scheduler, database, mailbox, s3 },
      servicesRole,
      () => ec2Api,
      () => rdsApis,
    );
    shutdown.add(() => edge.close());

    const identity = await startIdentity(config, dataDir, shutdown, log);
    await configureServiceEnvironment(config, dataDir, edge.url, services, servicesRole, identity.url, {
      ...chatCredentials,
      slackApiUrl: `${mailboxUrl}/slack/api/`,
      teamsWebhookUrl: `${mailboxUrl}/teams/webhook`,
    });
    await createTables(config, edge.url, services);
    await bus.start();
    scheduler.start();
    const ec2 = startEc2(config, dataDir, bus);
    shutdown.add(() => ec2.close());
    ec2Api = createEc2Api(ec2);
    const rds = await startRds(config, dataDir, bus);
    shutdown.add(() => rds.close());
    rdsApis = { rds: createRdsApi(rds), secretsmanager: createSecretsManagerApi(rds) };

    const http = await startHttpServer({
      services,
      port: config.PORT,
      host: config.HOST,
      publicUrl: config.PUBLIC_URL,
      health: { edge: edge.url, mailbox: mailboxUrl, identity: identity.url },
      identityProviderUrl: identity.url,
    });
    shutdown.add(() => http.close());

    return {
      portalUrl: `http://localhost:${http.port}`,
      edgeUrl: edge.url,
      mailboxUrl,
      slackUrl: `${mailboxUrl}/slack`,
      teamsUrl: `${mailboxUrl}/teams`,
      identityProviderUrl: identity.url,
      dataDir,
      close: shutdown.run,
    };
  } catch (error) {
    await shutdown.run();
    throw error;
  }
};
