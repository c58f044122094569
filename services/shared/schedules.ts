import { createHash } from "node:crypto";
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from "@aws-sdk/client-scheduler";
import type { DetailInputOf, EventContract } from "../../events/contract.ts";
import { outgoingEvent } from "../../events/publish.ts";
import { env, loadConfig } from "./config.ts";
import { traced } from "./observability.ts";

/**
 * What a service declaring `needs.schedules` finds in its environment, on AWS (the CDK app's
 * `Schedules`) and locally (the local runtime) alike: where its schedules live, the role EventBridge
 * Scheduler puts their events on the bus with, the queue their failed invocations go to, and the bus.
 */
export interface ScheduleSettings {
  SCHEDULE_GROUP: string;
  SCHEDULER_ROLE_ARN: string;
  SCHEDULER_DLQ_ARN: string;
  EVENT_BUS_ARN: string;
}

export const loadScheduleSettings = (
  environment: Record<string, string | undefined> = process.env,
): ScheduleSettings =>
  loadConfig(
    {
      SCHEDULE_GROUP: env.text(),
      SCHEDULER_ROLE_ARN: env.text(),
      SCHEDULER_DLQ_ARN: env.text(),
      EVENT_BUS_ARN: env.text(),
    },
    environment,
  );

export class ScheduleInputError extends Error {
  override readonly name = "ScheduleInputError";
}

/** Scheduler's own rule for a schedule name, checked before a call so the error names the field. */
const SCHEDULE_NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;

const SCHEDULE_NAME_MAX = 64;

/**
 * A schedule's name for one timer of one request, `<requestId>.<key>`: the same timer always gets the
 * same one, so owing it twice moves it instead of adding one. A request id holds only characters
 * Scheduler allows and never a '.', so no request's timer can take another's name (with '-', request
 * `Q-x1`'s expiry would be `Q`'s extension round's); a name past Scheduler's 64 characters keeps its
 * start and ends with a hash of the whole, to stay unique.
 */
export const scheduleNameFor = (requestId: string, key: string): string => {
  const name = `${requestId}.${key}`;
  if (name.length <= SCHEDULE_NAME_MAX) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 23);
  return `${name.slice(0, SCHEDULE_NAME_MAX - hash.length - 1)}-${hash}`;
};

/** An `at()` expression in UTC. It takes whole seconds: rounding up never fires before `at`. */
export const atExpression = (at: Date): string =>
  `at(${new Date(Math.ceil(at.getTime() / 1000) * 1000).toISOString().slice(0, 19)})`;

export interface OneTimeSchedule<C extends EventContract> {
  /** Unique in the group; the same name again moves the schedule instead of adding one. */
  name: string;
  at: Date;
  contract: C;
  detail: DetailInputOf<C>;
  /** The publisher's own source when it is one of the contract's other producers. */
  source?: string;
}

export interface SchedulesOptions {
  client: SchedulerClient;
  settings: ScheduleSettings;
}

/**
 * Events that go out later: `scheduleOnce` has EventBridge Scheduler put one event of a catalog
 * contract on the bus at a given time (checked now as `publish` checks it), then delete the schedule;
 * `cancelSchedule` takes it back. Locally the edge's Scheduler does the same with the local bus.
 */
export const createSchedules = ({ client, settings }: SchedulesOptions) => {
  /** Creates the schedule, or replaces the one of that name (a retried handler asks twice); its ARN. */
  const scheduleOnce = async <C extends EventContract>({
    name,
    at,
    contract,
    detail,
    source,
  }: OneTimeSchedule<C>): Promise<string> => {
    if (!SCHEDULE_NAME.test(name)) {
      throw new ScheduleInputError(`name '${name}' must be 1 to 64 letters, digits, '-', '_' or '.'`);
    }
    if (Number.isNaN(at.getTime())) throw new ScheduleInputError("at is not a valid date");
    const event = outgoingEvent(contract, detail, source);
    const input = {
      Name: name,
      GroupName: settings.SCHEDULE_GROUP,
      ScheduleExpression: atExpression(at),
      ScheduleExpressionTimezone: "UTC",
      FlexibleTimeWindow: { Mode: "OFF" },
      ActionAfterCompletion: "DELETE",
      Target: {
        Arn: settings.EVENT_BUS_ARN,
        RoleArn: settings.SCHEDULER_ROLE_ARN,
        Input: event.detail,
        EventBridgeParameters: { DetailType: event.detailType, Source: event.source },
        DeadLetterConfig: { Arn: settings.SCHEDULER_DLQ_ARN },
      },
    } satisfies CreateScheduleCommandInput;
    try {
      return (await client.send(new CreateScheduleCommand(input))).ScheduleArn ?? "";
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
      return (await client.send(new UpdateScheduleCommand(input))).ScheduleArn ?? "";
    }
  };

  /** Deletes the schedule; false when there was none (it fired, or was never made). */
  const cancelSchedule = async (name: string): Promise<boolean> => {
    try {
      await client.send(new DeleteScheduleCommand({ Name: name, GroupName: settings.SCHEDULE_GROUP }));
      return true;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return false;
      throw error;
    }
  };

  return { scheduleOnce, cancelSchedule };
};

export type Schedules = ReturnType<typeof createSchedules>;

let deployed: Schedules | undefined;

/**
 * The schedules of a deployed service's functions: EventBridge Scheduler in the group `needs.schedules`
 * gives them (locally the edge's Scheduler, through the SDK's endpoint resolution). Made on first use,
 * so that only a module that schedules reads the settings, and one client serves the whole process.
 */
export const deployedSchedules = (): Schedules => {
  deployed ??= createSchedules({ client: traced(new SchedulerClient({})), settings: loadScheduleSettings() });
  return deployed;
};
