import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import {
  existingServicesPrincipal,
  OUTSIDE_PRINCIPAL,
  type Principal,
} from "../../infra/local/edge/principals.ts";

const REPO_ROOT = resolve(import.meta.dirname, "..", "..");

/**
 * The first port the kernel hands out on its own (to `listen(0)` and to every outgoing connection).
 * Ports below it are only ever taken by name, so one found free there stays free for the stack to
 * bind, unlike an ephemeral port, which any test's next outgoing connection may take meanwhile.
 */
const firstEphemeralPort = (): number => {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    return Number(low) || 32_768;
  } catch {
    return 32_768;
  }
};

const LOWEST_TEST_PORT = 10_000;

const canListen = (port: number): Promise<boolean> =>
  new Promise((resolveFree) => {
    const server = createServer();
    server.once("error", () => resolveFree(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolveFree(true)));
  });

/** A port that is free now and that the kernel will not hand to anyone else meanwhile. */
const freePort = async (): Promise<number> => {
  const span = firstEphemeralPort() - LOWEST_TEST_PORT;
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST_TEST_PORT + Math.floor(Math.random() * span);
    if (await canListen(port)) return port;
  }
  throw new Error(`No free port found between ${LOWEST_TEST_PORT} and ${LOWEST_TEST_PORT + span}`);
};

const freePorts = async (): Promise<StackPorts> => ({
  http: await freePort(),
  edge: await freePort(),
  mail: await freePort(),
  identity: await freePort(),
});

export interface MailboxEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
  at: number;
}

export interface StackUnderTest {
  /** Where it listens; start it again on these to keep its links working. */
  ports: StackPorts;
  portalUrl: string;
  edgeUrl: string;
  mailboxUrl: string;
  dataDir: string;
  output: () => string;
  eventBridge: EventBridgeClient;
  ec2: EC2Client;
  dynamo: DynamoDBClient;
  emails: () => Promise<MailboxEmail[]>;
  /** Polls until the predicate holds, failing with the last value seen. */
  eventually: <T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs?: number) => Promise<T>;
  /** Stops the stack and resolves to its exit code (null when killed by the signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Stops (if running) and removes the data directory. */
  destroy(): Promise<void>;
}

export interface StackPorts {
  http: number;
  edge: number;
  mail: number;
  identity: number;
}

export interface StackOptions {
  env?: Record<string, string>;
  /** Reuse a data directory, e.g. to test a restart. */
  dataDir?: string;
  ports?: StackPorts;
}

/** An SDK client's settings at the stack's edge, signing as `principal`. */
const sdkConfig = (endpoint: string, principal: Principal) => ({
  endpoint,
  region: "us-east-1",
  credentials: principal,
});

/** The stack process ended before it answered on /api/health. */
class StackExitedError extends Error {
  constructor(
    readonly code: number | null,
    readonly output: string,
  ) {
    super(`stack exited with ${code} before it was ready\n--- stack output ---\n${output.slice(-4000)}`);
    this.name = "StackExitedError";
  }
}

/** Another process bound one of the ports between our check and the stack's own bind. */
const lostAPortRace = (error: unknown) =>
  error instanceof StackExitedError && /EADDRINUSE|already in use/.test(error.output);

/**
 * Starts the whole local stack as `npm start` does, in a child process on free ports with its own
 * data directory, and waits until /api/health answers 200. Ports chosen here are chosen again when
 * another process takes one first; ports given by the caller are not.
 */
export const startStack = async (options: StackOptions = {}): Promise<StackUnderTest> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchStack(options, options.ports ?? (await freePorts()));
    } catch (error) {
      if (options.ports || attempt === 3 || !lostAPortRace(error)) throw error;
    }
  }
};

const launchStack = async (options: StackOptions, ports: StackPorts): Promise<StackUnderTest> => {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "approvals-stack-"));
  // Loopback by address: "localhost" may resolve to ::1 first while the stack listens on 127.0.0.1.
  const portalUrl = `http://127.0.0.1:${ports.http}`;
  const edgeUrl = `http://127.0.0.1:${ports.edge}`;
  const mailboxUrl = `http://127.0.0.1:${ports.mail}`;
  let output = "";
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "infra/local/main.ts"], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(ports.http),
      EDGE_PORT: String(ports.edge),
      MAIL_PORT: String(ports.mail),
      IDP_PORT: String(ports.identity),
      PUBLIC_URL: portalUrl,
      EC2_BOOT_DELAY_MS: "300",
      BUS_RETRY_BASE_MS: "50",
      // The handlers' EMF lines (services/shared/observability.ts), which npm start prints: the metrics test asks for them.
      POWERTOOLS_METRICS_DISABLED: "true",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolveExit) =>
    child.once("close", (code) => resolveExit(code)),
  );

  const eventually: StackUnderTest["eventually"] = async (probe, accept, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    let last: Awaited<ReturnType<typeof probe>> | undefined;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        last = await probe();
        if (accept(last)) return last;
      } catch (error) {
        lastError = error;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `Condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)?.slice(0, 2000)}; last error: ${String(lastError)}\n--- stack output ---\n${output.slice(-4000)}`,
    );
  };

  let running = true;
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (running) child.kill(signal);
    running = false;
    return exited;
  };

  try {
    await eventually(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) return "exited";
        return (await fetch(`${portalUrl}/api/health`)).status;
      },
      (status) => status === 200 || status === "exited",
      60_000,
    ).then(async (status) => {
      if (status === "exited") throw new StackExitedError(await exited, output);
    });
  } catch (error) {
    await stop("SIGKILL");
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  const stackPrincipal = await existingServicesPrincipal(dataDir);
  return {
    ports,
    portalUrl,
    edgeUrl,
    mailboxUrl,
    dataDir,
    output: () => output,
    // Publishing is another system's, with the outside credentials the README documents; looking at the
    // stack's instances and tables is the operator's, with the stack's own credentials.
    eventBridge: new EventBridgeClient(sdkConfig(edgeUrl, OUTSIDE_PRINCIPAL)),
    ec2: new EC2Client(sdkConfig(edgeUrl, stackPrincipal)),
    dynamo: new DynamoDBClient(sdkConfig(edgeUrl, stackPrincipal)),
    emails: async () =>
      ((await (await fetch(`${mailboxUrl}/store`)).json()) as { emails: MailboxEmail[] }).emails,
    eventually,
    stop,
    destroy: async () => {
      await stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
};
