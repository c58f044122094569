import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { APPROVALS_BUS, DEFAULT_BUS } from "../../events/contract.ts";
import { OUTSIDE_PRINCIPAL, type Principal, SERVICES_ROLE_ARN } from "../../infra/local/edge/principals.ts";
import { startEdge } from "../../infra/local/edge/server.ts";
import { approvalsBusPolicy, createEventBridgeApi } from "../../infra/local/eventbridge/api.ts";
import type { AcceptedEvent, EventBusEngine } from "../../infra/local/eventbridge/types.ts";

export const TEST_REGION = "eu-west-1";

/** The stack's services as a test edge knows them: their role, with credentials made up for tests. */
export const TEST_SERVICES_PRINCIPAL: Principal = {
  arn: SERVICES_ROLE_ARN,
  accessKeyId: "AKIATESTSERVICESROLE",
  secretAccessKey: "test-services-secret-access-key-0000000000",
};

/** A real SDK client signing as `principal` at `endpoint`; it does not retry, and its clock can be set off. */
export const eventBridgeClientAs = (
  endpoint: string,
  principal: Pick<Principal, "accessKeyId" | "secretAccessKey">,
  clockOffsetMs = 0,
) =>
  new EventBridgeClient({
    endpoint,
    region: TEST_REGION,
    credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey },
    maxAttempts: 1,
    systemClockOffset: clockOffsetMs,
  });

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
  /** A real SDK client signing as the stack's services do, pointed at the edge; it does not retry. */
  client: EventBridgeClient;
  /** How many requests reached the edge, whatever their service. */
  requestCount(): number;
  close(): Promise<void>;
}

/**
 * The edge on a free port serving EventBridge from `bus`, as the local runtime wires it: it knows the
 * services' principal and the outside one, and the approvals bus keeps `approvals.*` to the services.
 */
export const startEventsEdge = async (bus: EventBusEngine, now?: () => Date): Promise<EventsEdge> => {
  let requests = 0;
  const edge = await startEdge({
    port: 0,
    principals: [TEST_SERVICES_PRINCIPAL, OUTSIDE_PRINCIPAL],
    services: {
      events: createEventBridgeApi({
        bus,
        now,
        reservedSources: [approvalsBusPolicy(TEST_SERVICES_PRINCIPAL.arn)],
      }),
    },
    localRoutes: async () => {
      requests++;
      return undefined;
    },
  });
  const client = eventBridgeClientAs(edge.url, TEST_SERVICES_PRINCIPAL);
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
