import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { businessMetricsOf, createMetrics, METRICS_NAMESPACE, traced, tracer } from "./observability.ts";

/** The EMF documents printed to stdout while `run` ran, parsed. */
const emfPrintedBy = (run: () => void) => {
  const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    run();
    return write.mock.calls.map(([chunk]) => JSON.parse(String(chunk)));
  } finally {
    write.mockRestore();
  }
};

describe("the business metrics", () => {
  beforeEach(() => {
    // Printed as on Lambda, whatever the test environment loaded before said.
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("print each count and duration at once, in the namespace, with the service as dimension", () => {
    const business = businessMetricsOf(createMetrics("intake"));

    const printed = emfPrintedBy(() => {
      business.count("RequestsSubmitted");
      business.count("EmailsSent", { resourceType: undefined });
      business.duration("TimeToDecision", 1500);
    });

    const documentOf = (name: string, value: number, unit: string) => ({
      service: "intake",
      [name]: value,
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          { Namespace: METRICS_NAMESPACE, Dimensions: [["service"]], Metrics: [{ Name: name, Unit: unit }] },
        ],
      },
    });
    expect(printed).toEqual([
      documentOf("RequestsSubmitted", 1, "Count"),
      documentOf("EmailsSent", 1, "Count"),
      documentOf("TimeToDecision", 1500, "Milliseconds"),
    ]);
  });

  it("print in the namespace the stack names, its stage's, where it names one", () => {
    vi.stubEnv("POWERTOOLS_METRICS_NAMESPACE", "dev-ResourceApprovals");
    const business = businessMetricsOf(createMetrics("intake"));

    const [printed] = emfPrintedBy(() => business.count("RequestsSubmitted"));

    expect(printed._aws.CloudWatchMetrics).toEqual([
      expect.objectContaining({ Namespace: "dev-ResourceApprovals" }),
    ]);
  });

  it("mark only the metric a dimension is given with", () => {
    const business = businessMetricsOf(createMetrics("decision"));

    const printed = emfPrintedBy(() => {
      business.count("ApprovalsDecided", { outcome: "rejected" });
      business.count("ApprovalsExpired");
    });

    expect(printed).toEqual([
      expect.objectContaining({
        outcome: "rejected",
        ApprovalsDecided: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            {
              Namespace: METRICS_NAMESPACE,
              Dimensions: [["service", "outcome"]],
              Metrics: [{ Name: "ApprovalsDecided", Unit: "Count" }],
            },
          ],
        }),
      }),
      expect.not.objectContaining({ outcome: expect.anything() }),
    ]);
  });

  it("print nothing and warn of nothing when an invocation counted nothing", () => {
    const metrics = createMetrics("audit");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});

    expect(emfPrintedBy(() => metrics.publishStoredMetrics())).toEqual([]);

    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it("print nothing when POWERTOOLS_METRICS_DISABLED is true", () => {
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
    const business = businessMetricsOf(createMetrics("notifier"));

    expect(emfPrintedBy(() => business.count("EmailsSent"))).toEqual([]);
  });
});

describe("the tracer", () => {
  it("is off outside Lambda, leaving the AWS SDK clients it is given as they were", () => {
    const client = new EventBridgeClient({ region: "us-east-1" });
    const middleware = client.middlewareStack.identify();

    expect(tracer.isTracingEnabled()).toBe(false);
    expect(traced(client)).toBe(client);
    expect(client.middlewareStack.identify()).toEqual(middleware);
  });
});
