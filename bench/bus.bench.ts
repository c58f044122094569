import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { APPROVALS_BUS } from "../events/contract.ts";
import { OUTSIDE_PRINCIPAL } from "../infra/local/edge/principals.ts";
import { startEdge } from "../infra/local/edge/server.ts";
import { createEventBridgeApi } from "../infra/local/eventbridge/api.ts";
import { LocalEventBus } from "../infra/local/eventbridge/bus.ts";
import { type Metric, percentile } from "./types.ts";

export class BenchmarkFailedError extends Error {
  override readonly name = "BenchmarkFailedError";
}

export interface BusBenchmarkOptions {
  /** Events to publish; the run stops earlier when `maxDurationMs` is reached. */
  eventCount?: number;
  maxDurationMs?: number;
  /** PutEvents calls (of 10 entries) kept open at once. */
  concurrentCalls?: number;
}

/**
 * The durable local bus under sustained load, measured as a service sees it: real PutEvents calls
 * through the SDK and the edge, events fsynced before each call returns, one rule whose handler notes
 * when each event reached it. Latencies therefore include queueing behind the load itself.
 */
export const benchmarkBus = async ({
  eventCount = 5_000,
  maxDurationMs = 60_000,
  concurrentCalls = 8,
}: BusBenchmarkOptions = {}): Promise<Metric[]> => {
  const dataDir = await mkdtemp(join(tmpdir(), "bench-bus-"));
  const handlerLatencies: number[] = [];
  const putLatencies: number[] = [];
  let lastHandledAt = 0;
  const bus = new LocalEventBus({
    dataDir,
    rules: [
      {
        name: "bench-handler",
        eventBusName: APPROVALS_BUS,
        pattern: { source: ["bench.bus"] },
        target: async (event) => {
          lastHandledAt = performance.now();
          handlerLatencies.push(lastHandledAt - (event.detail as { sentAt: number }).sentAt);
        },
      },
    ],
  });
  await bus.start();
  const edge = await startEdge({
    port: 0,
    principals: [OUTSIDE_PRINCIPAL],
    services: { events: createEventBridgeApi({ bus }) },
  });
  const client = new EventBridgeClient({
    endpoint: edge.url,
    region: "us-east-1",
    credentials: OUTSIDE_PRINCIPAL,
    maxAttempts: 1,
  });
  try {
    const startedAt = performance.now();
    const deadline = startedAt + maxDurationMs;
    let sent = 0;
    const publish = async () => {
      while (sent < eventCount && performance.now() < deadline) {
        const size = Math.min(10, eventCount - sent);
        sent += size;
        const sentAt = performance.now();
        const Detail = JSON.stringify({ sentAt });
        const result = await client.send(
          new PutEventsCommand({
            Entries: Array.from({ length: size }, () => ({
              EventBusName: APPROVALS_BUS,
              Source: "bench.bus",
              DetailType: "Benchmark Event",
              Detail,
            })),
          }),
        );
        if (result.FailedEntryCount)
          throw new BenchmarkFailedError(`PutEvents refused ${result.FailedEntryCount} entries`);
        putLatencies.push(performance.now() - sentAt);
      }
    };
    await Promise.all(Array.from({ length: concurrentCalls }, publish));
    const timeLeft = new AbortController();
    await Promise.race([
      bus.drained(),
      sleep(Math.max(0, deadline - performance.now()), undefined, { signal: timeLeft.signal }),
    ]);
    timeLeft.abort();
    const elapsedSeconds = (lastHandledAt - startedAt) / 1000;
    return [
      { label: "events handled", value: handlerLatencies.length, unit: `of ${sent} published` },
      { label: "PutEvents call p50", value: percentile(putLatencies, 50), unit: "ms" },
      { label: "PutEvents call p99", value: percentile(putLatencies, 99), unit: "ms" },
      { label: "PutEvents -> handler p50", value: percentile(handlerLatencies, 50), unit: "ms" },
      { label: "PutEvents -> handler p99", value: percentile(handlerLatencies, 99), unit: "ms" },
      { label: "sustained throughput", value: handlerLatencies.length / elapsedSeconds, unit: "events/s" },
    ];
  } finally {
    client.destroy();
    await edge.close();
    await bus.close();
    await rm(dataDir, { recursive: true, force: true });
  }
};
