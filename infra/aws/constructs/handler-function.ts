import { basename, extname, join } from "node:path";
import { Duration, Stack } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, LoggingFormat, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { type BundlingOptions, LogLevel, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { EVENT_HANDLER_TIMEOUT_MS } from "../../../services/shared/leases.ts";
import type { HandlerRef } from "../../../services/shared/manifest.ts";
import { acknowledge } from "../nag.ts";
import { REPO_ROOT } from "../paths.ts";

/**
 * esbuild settings of every handler: one ESM file with its dependencies (the AWS SDK included, so the
 * deployed code runs the versions it was tested with), minified, with a source map Node applies to
 * stack traces. ESM output needs a `require` for the CommonJS packages it bundles.
 */
export const HANDLER_BUNDLING = {
  format: OutputFormat.ESM,
  target: "node22",
  platform: "node",
  mainFields: ["module", "main"],
  minify: true,
  sourceMap: true,
  bundleAwsSDK: true,
  logLevel: LogLevel.WARNING,
  banner:
    "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
} as const satisfies BundlingOptions & { platform: "node" };

/** How a handler is invoked decides how long it may run. */
export type Invocation = "event" | "http" | "sign-in";

/**
 * Event consumers run no longer than the claims they take on side effects assume (services/shared/
 * leases.ts derives every lease from EVENT_HANDLER_TIMEOUT_MS). API Gateway gives an integration at
 * most 30 s; pages and the API answer in far less. Cognito waits 5 s for a sign-in trigger.
 */
export const TIMEOUTS: Record<Invocation, Duration> = {
  event: Duration.millis(EVENT_HANDLER_TIMEOUT_MS),
  http: Duration.seconds(10),
  "sign-in": Duration.seconds(5),
};

/** Enough for the SDK and zod to load quickly: Lambda gives CPU in proportion to memory. */
export const MEMORY_MB = 512;

export const LOG_RETENTION = RetentionDays.ONE_MONTH;

/** The construct id of a handler's function: its module's file name, unique within a service. */
export const functionIdOf = (handler: HandlerRef) => basename(handler.entry, extname(handler.entry));

export interface HandlerFunctionProps {
  service: string;
  handler: HandlerRef;
  invocation: Invocation;
  description: string;
  environment: Record<string, string>;
  /** Where an event consumer's failed invocations go after Lambda's own retries. */
  deadLetterQueue?: IQueue;
  /**
   * How many invocations run at once, reserved out of the account's concurrency; unset, the function
   * shares the unreserved pool. Throttled events wait in Lambda's asynchronous queue and are retried.
   */
  reservedConcurrency?: number;
  /** Globals esbuild replaces in the bundle: data too large for the environment, such as the policies. */
  define?: Record<string, string>;
}

/**
 * One Lambda function for one handler, with a role of its own that starts empty: only its log group,
 * X-Ray and whatever the service's wiring grants it afterwards.
 */
export class HandlerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  /** Its reserved concurrency, when capped: what its throttles mean (alarms.ts). */
  readonly reservedConcurrency?: number;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    this.reservedConcurrency = props.reservedConcurrency;
    const logGroup = new LogGroup(this, "Logs", { retention: LOG_RETENTION });
    // A role of our own instead of Lambda's default: that one carries a managed policy writing to any log group.
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `${props.service}: ${functionIdOf(props.handler)}`,
    });
    logGroup.grantWrite(this.role);
    this.function = new NodejsFunction(this, "Function", {
      description: props.description.slice(0, 256),
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, "package-lock.json"),
      entry: join(REPO_ROOT, props.handler.entry),
      handler: props.handler.exportName,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: MEMORY_MB,
      timeout: TIMEOUTS[props.invocation],
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      bundling: props.define ? { ...HANDLER_BUNDLING, define: props.define } : HANDLER_BUNDLING,
      deadLetterQueue: props.deadLetterQueue,
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: {
        ...props.environment,
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_SERVICE_NAME: props.service,
        // The stack's name is its stage's (context.ts, stackNameOf): stages sharing an account keep their
        // metrics apart. The handlers' business metrics and Powertools' own read it.
        POWERTOOLS_METRICS_NAMESPACE: Stack.of(this).stackName,
      },
    });
    const runtimeReason =
      "Node.js 22 is the runtime the services are bundled for (esbuild target node22) and tested on; it moves to 24 with the project";
    acknowledge(this.function, "AwsSolutions-L1", runtimeReason);
    acknowledge(this.function, "Serverless-LambdaLatestVersion", runtimeReason);
    acknowledge(
      this.role.node.findChild("DefaultPolicy"),
      "AwsSolutions-IAM5[Resource::*]",
      "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions; tracing is on for every function",
    );
  }
}
