import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { startEdge } from "../../infra/local/edge/server.ts";
import { createEventBridgeApi } from "../../infra/local/eventbridge/api.ts";
import type { AcceptedEvent, EventBusEngine } from "../../infra/local/eventbridge/types.ts";

export const TEST_REGION = "eu-west-1";

/**
 * An in-memory bus engine that records every `accept` call. `onAccept` runs before the events are
 * recorded, so a test can hold the call open or make it fail.
 */
export class RecordingBus implements EventBusEngine {
  readonly busNames = [DEFAULT_BUS, APPROVALS_BUS];
  readonly acceptCalls: AcceptedEvent[][] = [];
  constructor(private readonly onAccept: (events: AcceptedEvent[]) => Promise<void> = async () => {}) {}

  async accept(events: AcceptedEvent[]): Promise<void> {
    await this.onAccept(events);
    this.acceptCalls.push(events);
  }

  get acceptedEvents(): AcceptedEvent[] {
    return this.acceptCalls.flat();
  }
}

export interface EventsEdge {
  url: string;
  /** A real SDK client with dummy credentials, pointed at the edge; it does not retry. */
  client: EventBridgeClient;
  /** How many requests reached the edge, whatever their service. */
  requestCount(): number;
  close(): Promise<void>;
}

/** The edge on a free port serving EventBridge from `bus`, as the local runtime wires it. */
export const startEventsEdge = async (bus: EventBusEngine, now?: () => Date): Promise<EventsEdge> => {
  let requests = 0;
  const edge = await startEdge({
    port: 0,
    services: { events: createEventBridgeApi({ bus, now }) },
    localRoutes: async () => {
      requests++;
      return undefined;
    },
  });
  const client = new EventBridgeClient({
    endpoint: edge.url,
    region: TEST_REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  return {
    url: edge.url,
    client,
    requestCount: () => requests,
    close: async () => {
      client.destroy();
      await edge.close();
    },
  };
};
