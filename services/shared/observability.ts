import type { GenericLogger } from "@aws-lambda-powertools/commons/types";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { MetricUnit as Unit } from "@aws-lambda-powertools/metrics/types";
import { Tracer } from "@aws-lambda-powertools/tracer";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import type { MiddlewareObj } from "@middy/core";
import type { ServiceName } from "./manifest.ts";

/**
 * The CloudWatch namespace of the business metrics where no stack names one: local mode and tests. On
 * AWS each function's `POWERTOOLS_METRICS_NAMESPACE` is its stack's name, so stages sharing an account
 * keep their metrics apart.
 */
export const METRICS_NAMESPACE = "ResourceApprovals";

/**
 * The process's tracer. Powertools turns it off outside Lambda (no `AWS_EXECUTION_ENV`: local mode and
 * tests) and where `POWERTOOLS_TRACE_ENABLED=false`; then the middleware and `traced` do nothing.
 */
export const tracer = new Tracer();

/** An AWS SDK client whose every call is a subsegment of the invocation's trace; call once per client. */
export const traced = <Client>(client: Client): Client => tracer.captureAWSv3Client(client);

/** Metrics counted once per effect; the Submitted/Accepted/Invalid trio is counted by intake's event handler. */
export type CountMetric =
  | "RequestsSubmitted"
  | "RequestsAccepted"
  | "RequestsInvalid"
  | "ApprovalsAsked"
  | "ApprovalsDecided"
  | "ApprovalsExpired"
  | "ProvisioningStarted"
  | "ProvisioningSucceeded"
  | "ProvisioningFailed"
  | "EmailsSent"
  | "EmailsSuppressed";

export type DurationMetric = "TimeToDecision" | "TimeToProvision";

/** The names dashboards and alarms split a metric by. */
export type MetricDimensions = Partial<Record<"outcome" | "resourceType", string>>;

/** What a handler tells the metrics once the I/O that makes an outcome true has succeeded. */
export interface BusinessMetrics {
  count: (metric: CountMetric, dimensions?: MetricDimensions) => void;
  duration: (metric: DurationMetric, milliseconds: number, dimensions?: MetricDimensions) => void;
}

/**
 * Powertools warns on every flush with no application metric, but most invocations of most handlers count
 * nothing by design: that one warning is dropped, every other one kept.
 */
const quietWhenNothingCounted = (logger: GenericLogger): GenericLogger => ({
  ...logger,
  warn: (message, ...rest) => {
    if (!String(message).startsWith("No application metrics")) logger.warn(message, ...rest);
  },
});

/**
 * A service's Powertools Metrics. EMF lines go to stdout: CloudWatch Logs turns them into metrics on
 * AWS, the terminal shows them in local mode, and `POWERTOOLS_METRICS_DISABLED=true` (read as it is
 * made) silences them: the test environment sets it.
 */
export const createMetrics = (service: ServiceName): Metrics =>
  new Metrics({
    // Given explicitly, Powertools would ignore the variable: the stack's, else the local default.
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE,
    serviceName: service,
    logger: quietWhenNothingCounted(console),
  });

const metricsByService = new Map<ServiceName, Metrics>();

/**
 * The service's metrics, one per process: on Lambda one function holds one service; local mode runs
 * every service in one process, each with its own `service` dimension.
 */
export const metricsOf = (service: ServiceName): Metrics => {
  let metrics = metricsByService.get(service);
  if (!metrics) {
    metrics = createMetrics(service);
    metricsByService.set(service, metrics);
  }
  return metrics;
};

/**
 * Each business metric is published at once, on a line of its own, rather than buffered until the
 * invocation's flush: a dimension then marks that metric alone (never another one flushed with it, nor
 * a concurrent invocation's in local mode's one process), and a metric recorded where no invocation
 * flushes (local mode mounts the HTTP apps without their Lambda handler) is not held back.
 */
const record = (
  metrics: Metrics,
  metric: string,
  unit: Unit,
  value: number,
  dimensions: MetricDimensions = {},
) => {
  const single = metrics.singleMetric();
  for (const [name, dimension] of Object.entries(dimensions))
    if (dimension !== undefined) single.addDimension(name, dimension);
  single.addMetric(metric, unit, value);
};

/** The business metrics of a service, recorded on its Powertools Metrics. */
export const businessMetricsOf = (metrics: Metrics): BusinessMetrics => ({
  count: (metric, dimensions) => record(metrics, metric, MetricUnit.Count, 1, dimensions),
  // Clocks of different machines may disagree by a little: a duration is never negative.
  duration: (metric, milliseconds, dimensions) =>
    record(metrics, metric, MetricUnit.Milliseconds, Math.max(0, milliseconds), dimensions),
});

/** Milliseconds from one ISO timestamp to a later moment. */
export const millisecondsSince = (from: string, to: Date): number => to.getTime() - Date.parse(from);

/**
 * What every handler adds to its Middy chain right after the logger's context (Powertools' order:
 * logger, tracer, metrics, then idempotency and the parser): the invocation traced, a `ColdStart`
 * metric on a Lambda cold start, and the metrics' buffer flushed as the invocation ends (the business
 * metrics never wait in it: `record`).
 */
export const observe = (service: ServiceName): MiddlewareObj[] => [
  captureLambdaHandler(tracer),
  logMetrics(metricsOf(service), { captureColdStartMetric: true }),
];
