import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { APPROVALS_BUS } from "../../events/contract.ts";
import { OUTSIDE_PRINCIPAL, type Principal } from "../../infra/local/edge/principals.ts";
import { startEdge } from "../../infra/local/edge/server.ts";
import { approvalsBusPolicy, createEventBridgeApi } from "../../infra/local/eventbridge/api.ts";
import { LocalEventBus } from "../../infra/local/eventbridge/bus.ts";
import { type BusEvent, LOCAL_ACCOUNT_ID } from "../../infra/local/eventbridge/types.ts";
import { createSchedulerApi } from "../../infra/local/scheduler/api.ts";
import { LocalScheduler, type SchedulerLogger } from "../../infra/local/scheduler/scheduler.ts";
import { silentLogger } from "./bus.ts";
import { TEST_REGION, TEST_SERVICES_PRINCIPAL } from "./local-events.ts";

/** The role test schedules name: the one their scheduler lets the services pass. */
export const TEST_SCHEDULER_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/test-scheduler`;
export const TEST_SCHEDULE_GROUP = "approvals";
export const TEST_BUS_ARN = `arn:aws:events:${TEST_REGION}:${LOCAL_ACCOUNT_ID}:event-bus/${APPROVALS_BUS}`;
export const TEST_DLQ_ARN = `arn:aws:sqs:${TEST_REGION}:${LOCAL_ACCOUNT_ID}:test-scheduler-dead-letters`;

/** A real SDK client signing as `principal` at `endpoint`; it does not retry. */
export const schedulerClientAs = (endpoint: string, principal: Principal) =>
  new SchedulerClient({
    endpoint,
    region: TEST_REGION,
    credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey },
    maxAttempts: 1,
  });

export interface SchedulingEdgeOptions {
  dataDir: string;
  rateIntervalOverrideMs?: number;
  /** Called with each event the observing rule receives, besides recording it. */
  onDelivery?: (event: BusEvent) => void;
  /**
   * Runs once the bus has journaled the events of fired schedules and before the scheduler records them
   * fired: where a crash test kills the process.
   */
  afterBusAccepted?: () => void;
  logger?: SchedulerLogger;
}

export interface SchedulingEdge {
  url: string;
  /** Signs as the stack's services. */
  client: SchedulerClient;
  /** Every event a rule matching all of the approvals bus received, in order. */
  delivered: BusEvent[];
  scheduler: LocalScheduler;
  bus: LocalEventBus;
  close(): Promise<void>;
}

/**
 * The edge on a free port serving Scheduler and EventBridge as the local runtime wires them, over a
 * durable bus and scheduler kept in `dataDir` (start another on it to restart), with one rule that
 * takes every event of the approvals bus.
 */
export const startSchedulingEdge = async ({
  dataDir,
  rateIntervalOverrideMs,
  onDelivery,
  afterBusAccepted,
  logger = silentLogger,
}: SchedulingEdgeOptions): Promise<SchedulingEdge> => {
  const delivered: BusEvent[] = [];
  const bus = new LocalEventBus({
    dataDir,
    logger: silentLogger,
    rules: [
      {
        name: "everything",
        eventBusName: APPROVALS_BUS,
        pattern: { source: [{ exists: true }] },
        target: async (event) => {
          delivered.push(event);
          onDelivery?.(event);
        },
      },
    ],
  });
  const scheduler = await LocalScheduler.open({
    dataDir,
    bus: {
      busNames: bus.busNames,
      accept: async (events) => {
        await bus.accept(events);
        afterBusAccepted?.();
      },
    },
    region: TEST_REGION,
    roleArn: TEST_SCHEDULER_ROLE_ARN,
    groups: [TEST_SCHEDULE_GROUP],
    rateIntervalOverrideMs,
    logger,
  });
  const edge = await startEdge({
    port: 0,
    principals: [TEST_SERVICES_PRINCIPAL, OUTSIDE_PRINCIPAL],
    services: {
      events: createEventBridgeApi({
        bus,
        reservedSources: [approvalsBusPolicy(TEST_SERVICES_PRINCIPAL.arn)],
      }),
      scheduler: createSchedulerApi(scheduler),
    },
  });
  await bus.start();
  scheduler.start();
  const client = schedulerClientAs(edge.url, TEST_SERVICES_PRINCIPAL);
  return {
    url: edge.url,
    client,
    delivered,
    scheduler,
    bus,
    close: async () => {
      client.destroy();
      await edge.close();
      await scheduler.close();
      await bus.close();
    },
  };
};
