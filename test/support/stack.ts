import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";

const REPO_ROOT = resolve(import.meta.dirname, "..", "..");

export const freePort = (): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port")),
      );
    });
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

export interface StackOptions {
  env?: Record<string, string>;
  /** Reuse a data directory, e.g. to test a restart. */
  dataDir?: string;
  ports?: { http: number; edge: number; mail: number };
}

const sdkConfig = (endpoint: string) => ({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});

/**
 * Starts the whole local stack as `npm start` does, in a child process on free ports with its own
 * data directory, and waits until /api/health answers 200.
 */
export const startStack = async (options: StackOptions = {}): Promise<StackUnderTest> => {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "approvals-stack-"));
  const ports = options.ports ?? { http: await freePort(), edge: await freePort(), mail: await freePort() };
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
      PUBLIC_URL: portalUrl,
      EC2_BOOT_DELAY_MS: "300",
      BUS_RETRY_BASE_MS: "50",
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
  const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));

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
        if (child.exitCode !== null) throw new Error(`stack exited with ${child.exitCode}`);
        return (await fetch(`${portalUrl}/api/health`)).status;
      },
      (status) => status === 200,
      60_000,
    );
  } catch (error) {
    await stop("SIGKILL");
    throw error;
  }

  return {
    portalUrl,
    edgeUrl,
    mailboxUrl,
    dataDir,
    output: () => output,
    eventBridge: new EventBridgeClient(sdkConfig(edgeUrl)),
    ec2: new EC2Client(sdkConfig(edgeUrl)),
    dynamo: new DynamoDBClient(sdkConfig(edgeUrl)),
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
