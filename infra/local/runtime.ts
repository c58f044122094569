import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { serve } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Context } from "aws-lambda";
import dynalite from "dynalite";
import { Hono } from "hono";
import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { Ec2InstanceStateChange } from "../../events/ec2-state-change.ts";
import { answerUnrouted } from "../../services/shared/http.ts";
import type { HandlerRef } from "../../services/shared/manifest.ts";
import type { LocalConfig } from "./config.ts";
import { dynamoDbService } from "./dynamodb.ts";
import { createEc2Api } from "./ec2/ec2-api.ts";
import { LocalEc2 } from "./ec2/local-ec2.ts";
import { type RunningEdge, startEdge } from "./edge/server.ts";
import { jsonError, type ServiceHandler } from "./edge/types.ts";
import { createEventBridgeApi } from "./eventbridge/api.ts";
import { deadLetterRoutes, LocalEventBus } from "./eventbridge/bus.ts";
import { newBusEvent } from "./eventbridge/envelope.ts";
import { type BusEvent, LOCAL_ACCOUNT_ID, type LocalRule } from "./eventbridge/types.ts";
import { invokeWithDeadline } from "./lambda-context.ts";
import { startMailbox } from "./mailbox.ts";
import { ensureTables, tableNameEnvironment } from "./tables.ts";

const REPO_ROOT = resolve(import.meta.dirname, "..", "..");
const PORTAL_DIST = join(REPO_ROOT, "portal", "dist");

export interface LocalStack {
  portalUrl: string;
  edgeUrl: string;
  mailboxUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

const listen = async (server: Server, port: number, host: string): Promise<number> => {
  server.listen(port, host);
  await Promise.race([
    once(server, "listening"),
    once(server, "error").then(([error]) => Promise.reject(error)),
  ]);
  return (server.address() as AddressInfo).port;
};

/** The HMAC key for decision links: made once per data directory so links survive restarts. */
const localHmacSecret = async (dataDir: string): Promise<string> => {
  const file = join(dataDir, "hmac-secret");
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const secret = randomBytes(32).toString("base64url");
  await writeFile(file, secret, { mode: 0o600 });
  await chmod(file, 0o600);
  return secret;
};

export class HandlerNotExportedError extends Error {
  override readonly name = "HandlerNotExportedError";
}

const importHandler = async (ref: HandlerRef): Promise<LambdaHandler> => {
  const module = (await import(pathToFileURL(join(REPO_ROOT, ref.entry)).href)) as Record<string, unknown>;
  const handler = module[ref.exportName];
  if (typeof handler !== "function")
    throw new HandlerNotExportedError(`${ref.entry} does not export a function '${ref.exportName}'`);
  return handler as LambdaHandler;
};

/**
 * Starts everything local mode runs on one machine: the AWS edge (EventBridge, EC2, DynamoDB, SES),
 * the six services' handlers wired to the bus by their subscriptions, and the HTTP server for the
 * portal, the API and the decision pages.
 */
export const startLocalStack = async (
  config: LocalConfig,
  log: (line: string) => void = () => {},
): Promise<LocalStack> => {
  const dataDir = resolve(config.DATA_DIR);
  await mkdir(join(dataDir, "dynamodb"), { recursive: true });
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closeOne of closers.reverse())
      await closeOne().catch((error) => log(`shutdown: ${String(error)}`));
  };

  try {
    const dynamo = dynalite({
      path: join(dataDir, "dynamodb"),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    // Requests reach dynalite through the edge; it listens (on a private port) only because its
    // close() refuses to shut the database down otherwise.
    await listen(dynamo, 0, "127.0.0.1");
    closers.push(() => new Promise((done) => dynamo.close(done)));

    const mailbox = await startMailbox({ host: config.HOST, port: config.MAIL_PORT, dataDir });
    closers.push(() => mailbox.close());
    const mailPort = mailbox.port;

    const handlerCache = new Map<string, Promise<LambdaHandler>>();
    const invoke = (ref: HandlerRef, functionName: string) => async (event: BusEvent) => {
      const key = `${ref.entry}#${ref.exportName}`;
      let handler = handlerCache.get(key);
      if (!handler) {
        handler = importHandler(ref);
        handlerCache.set(key, handler);
      }
      await invokeWithDeadline(await handler, event, {
        functionName,
        region: config.AWS_REGION,
        accountId: LOCAL_ACCOUNT_ID,
      });
    };

    const { services } = await import("../../services/registry.ts");
    const rules: LocalRule[] = services.flatMap((service) =>
      service.subscriptions.map((subscription): LocalRule => {
        const target = invoke(subscription.handler, subscription.name);
        return subscription.kind === "event"
          ? {
              name: subscription.name,
              eventBusName: subscription.eventBusName,
              pattern: subscription.pattern,
              target,
            }
          : { name: subscription.name, schedule: subscription.schedule, target };
      }),
    );

    const bus = new LocalEventBus({
      dataDir,
      busNames: [DEFAULT_BUS, APPROVALS_BUS],
      rules,
      maxAttempts: config.BUS_MAX_ATTEMPTS,
      retryBaseDelayMs: config.BUS_RETRY_BASE_MS,
      region: config.AWS_REGION,
      scheduleIntervalOverrideMs: config.SWEEP_INTERVAL_MS,
      logger: {
        info: () => undefined,
        warn: (message, details) => log(`[bus] ${message} ${details ? JSON.stringify(details) : ""}`),
        error: (message, details) => log(`[bus] ${message} ${details ? JSON.stringify(details) : ""}`),
      },
    });
    closers.push(() => bus.close());

    let ec2Api: ServiceHandler | undefined;
    const edge: RunningEdge = await startEdge({
      port: config.EDGE_PORT,
      host: config.HOST,
      services: {
        events: createEventBridgeApi({ bus }),
        // EC2 starts after the bus, since it reports state changes on it from the first moment.
        ec2: (request) =>
          ec2Api ? ec2Api(request) : Promise.resolve(jsonError(503, "ServiceUnavailable", "EC2 is starting")),
        dynamodb: dynamoDbService(dynamo),
        ses: mailbox.sesApi,
        email: mailbox.sesApi,
      },
      localRoutes: deadLetterRoutes(bus),
    });
    closers.push(() => edge.close());

    const tables = services.flatMap((service) => service.tables);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: edge.url,
      AWS_REGION: config.AWS_REGION,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "local",
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "local",
      EVENT_BUS_NAME: APPROVALS_BUS,
      SENDER: config.SENDER,
      APPROVERS: config.APPROVERS.join(","),
      APPROVAL_TTL_SECONDS: String(config.APPROVAL_TTL_SECONDS),
      PUBLIC_URL: config.PUBLIC_URL,
      HMAC_SECRET: await localHmacSecret(dataDir),
      ...(config.IMAGE_IDS && { IMAGE_IDS: JSON.stringify(config.IMAGE_IDS) }),
      POWERTOOLS_SERVICE_NAME: "approvals-local",
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? "WARN",
      ...tableNameEnvironment(tables),
    });

    const dynamoClient = new DynamoDBClient({ endpoint: edge.url, region: config.AWS_REGION });
    await ensureTables(dynamoClient, tables);
    dynamoClient.destroy();

    await bus.start();
    const localEc2 = new LocalEc2({
      dataDir,
      bootDelayMs: config.EC2_BOOT_DELAY_MS,
      onStateChange: (instanceId, state) =>
        bus.accept([
          {
            eventBusName: DEFAULT_BUS,
            event: newBusEvent({
              source: Ec2InstanceStateChange.source,
              detailType: Ec2InstanceStateChange.detailType,
              detail: { "instance-id": instanceId, state },
              region: config.AWS_REGION,
              resources: [`arn:aws:ec2:${config.AWS_REGION}:${LOCAL_ACCOUNT_ID}:instance/${instanceId}`],
            }),
          },
        ]),
    });
    closers.push(() => localEc2.close());
    ec2Api = createEc2Api(localEc2);

    // The server listens only once every part is up, so answering at all means ready.
    const health = new Hono().get("/api/health", (c) =>
      c.json({ status: "ok", edge: edge.url, mailbox: `http://localhost:${mailPort}` }),
    );
    const apps: Hono[] = [health];
    for (const service of services) {
      if (!service.http) continue;
      const module = (await import(pathToFileURL(join(REPO_ROOT, service.http.app)).href)) as {
        app: Hono;
      };
      apps.push(module.app);
    }
    const http = new Hono();
    for (const app of apps) http.route("/", app);
    // Mounted apps' not-found handlers are not inherited: the combined app answers for all of them.
    http.notFound(answerUnrouted(apps));
    http.get("/api/*", (c) => c.notFound());
    http.use("/*", serveStatic({ root: PORTAL_DIST }));
    // The portal routes in the browser: every other page path gets its shell.
    http.get("/*", serveStatic({ root: PORTAL_DIST, path: "index.html" }));

    const httpServer = serve({ fetch: http.fetch, port: config.PORT, hostname: config.HOST }) as Server;
    await Promise.race([
      once(httpServer, "listening"),
      once(httpServer, "error").then(([error]) => Promise.reject(error)),
    ]);
    closers.push(
      () =>
        new Promise((done) => {
          httpServer.closeAllConnections();
          httpServer.close(done);
        }),
    );
    const httpPort = (httpServer.address() as AddressInfo).port;

    return {
      portalUrl: `http://localhost:${httpPort}`,
      edgeUrl: edge.url,
      mailboxUrl: `http://localhost:${mailPort}`,
      dataDir,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
};
