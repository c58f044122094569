import { rm } from "node:fs/promises";
import { GetScheduleCommand, ListSchedulesCommand } from "@aws-sdk/client-scheduler";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UnknownProducerError } from "../../events/publish.ts";
import { RequestExpired } from "../../events/request-expired.ts";
import { DetailValidationError } from "../../events/validation.ts";
import { temporaryDataDir } from "../../test/support/bus.ts";
import { sampleRequest } from "../../test/support/fixtures.ts";
import {
  type SchedulingEdge,
  startSchedulingEdge,
  TEST_BUS_ARN,
  TEST_DLQ_ARN,
  TEST_SCHEDULE_GROUP,
  TEST_SCHEDULER_ROLE_ARN,
} from "../../test/support/scheduler.ts";
import { waitUntil } from "../../test/support/wait.ts";
import { ConfigError } from "./config.ts";
import {
  atExpression,
  createSchedules,
  loadScheduleSettings,
  ScheduleInputError,
  type ScheduleSettings,
  type Schedules,
  scheduleNameFor,
} from "./schedules.ts";

const SETTINGS: ScheduleSettings = {
  SCHEDULE_GROUP: TEST_SCHEDULE_GROUP,
  SCHEDULER_ROLE_ARN: TEST_SCHEDULER_ROLE_ARN,
  SCHEDULER_DLQ_ARN: TEST_DLQ_ARN,
  EVENT_BUS_ARN: TEST_BUS_ARN,
};

const expiry = () => ({
  requestId: "req-1",
  request: sampleRequest(),
  expiresAt: "2099-01-01T00:00:00.000Z",
  expiredAt: "2099-01-01T00:00:00.000Z",
});

let dataDir: string;
let edge: SchedulingEdge;
let schedules: Schedules;

beforeEach(async () => {
  dataDir = await temporaryDataDir();
  edge = await startSchedulingEdge({ dataDir });
  schedules = createSchedules({ client: edge.client, settings: SETTINGS });
});

afterEach(async () => {
  await edge.close();
  await rm(dataDir, { recursive: true, force: true });
});

const scheduleNamed = (name: string) =>
  edge.client.send(new GetScheduleCommand({ Name: name, GroupName: TEST_SCHEDULE_GROUP }));

describe("a schedule's name", () => {
  it("is the same for the same timer, and never another request's, whatever '-' the ids hold", () => {
    expect(scheduleNameFor("req-a", "lease-end")).toBe(scheduleNameFor("req-a", "lease-end"));
    expect(scheduleNameFor("Q-x1", "expiry-0-0")).not.toBe(scheduleNameFor("Q", "x1-expiry-0-0"));
  });

  it("stays within Scheduler's 64 characters for the longest request id, and apart for two timers", () => {
    const longId = "r".repeat(64);
    const first = scheduleNameFor(longId, "lease-reminder-1");
    const second = scheduleNameFor(longId, "lease-reminder-2");

    expect(first.length).toBeLessThanOrEqual(64);
    expect(first).not.toBe(second);
  });
});

describe("scheduleOnce", () => {
  it("has Scheduler put the contract's event on the bus once, at the time given, then delete the schedule", async () => {
    const at = new Date(Date.now() + 1_000);

    await schedules.scheduleOnce({ name: "expire-req-1", at, contract: RequestExpired, detail: expiry() });
    const schedule = await scheduleNamed("expire-req-1");
    await waitUntil(() => expect(edge.delivered).toHaveLength(1));

    expect(schedule).toMatchObject({
      GroupName: TEST_SCHEDULE_GROUP,
      ScheduleExpression: atExpression(at),
      ScheduleExpressionTimezone: "UTC",
      FlexibleTimeWindow: { Mode: "OFF" },
      ActionAfterCompletion: "DELETE",
      Target: {
        Arn: TEST_BUS_ARN,
        RoleArn: TEST_SCHEDULER_ROLE_ARN,
        DeadLetterConfig: { Arn: TEST_DLQ_ARN },
        EventBridgeParameters: { DetailType: "RequestExpired", Source: "approvals.decision" },
      },
    });
    expect(edge.delivered[0]).toMatchObject({
      source: "approvals.decision",
      "detail-type": "RequestExpired",
      detail: expiry(),
    });
    await waitUntil(async () => {
      const { Schedules: left } = await edge.client.send(new ListSchedulesCommand({}));
      expect(left).toEqual([]);
    });
  });

  it("moves a schedule of the same name instead of failing, as a retried handler asks twice", async () => {
    const detail = expiry();
    await schedules.scheduleOnce({
      name: "expire-req-1",
      at: new Date("2098-01-01T00:00:00Z"),
      contract: RequestExpired,
      detail,
    });

    await schedules.scheduleOnce({
      name: "expire-req-1",
      at: new Date("2099-01-01T00:00:00Z"),
      contract: RequestExpired,
      detail,
    });

    expect((await scheduleNamed("expire-req-1")).ScheduleExpression).toBe("at(2099-01-01T00:00:00)");
  });

  it("checks the detail against its contract, and the source against its producers, before any call", async () => {
    const invalid = schedules.scheduleOnce({
      name: "expire-req-1",
      at: new Date("2099-01-01T00:00:00Z"),
      contract: RequestExpired,
      detail: { ...expiry(), expiredAt: "yesterday" },
    });
    const foreign = schedules.scheduleOnce({
      name: "expire-req-1",
      at: new Date("2099-01-01T00:00:00Z"),
      contract: RequestExpired,
      detail: expiry(),
      source: "approvals.intake",
    });

    await expect(invalid).rejects.toThrow(DetailValidationError);
    await expect(invalid).rejects.toThrow(/expiredAt/);
    await expect(foreign).rejects.toThrow(UnknownProducerError);
    const { Schedules: made } = await edge.client.send(new ListSchedulesCommand({}));
    expect(made).toEqual([]);
  });

  it("refuses a name Scheduler would refuse, and a date that is none, naming the field", async () => {
    const at = new Date("2099-01-01T00:00:00Z");

    await expect(
      schedules.scheduleOnce({ name: "expire req/1", at, contract: RequestExpired, detail: expiry() }),
    ).rejects.toThrow(
      new ScheduleInputError("name 'expire req/1' must be 1 to 64 letters, digits, '-', '_' or '.'"),
    );
    await expect(
      schedules.scheduleOnce({ name: "x", at: new Date("soon"), contract: RequestExpired, detail: expiry() }),
    ).rejects.toThrow(new ScheduleInputError("at is not a valid date"));
  });
});

describe("cancelSchedule", () => {
  it("deletes a schedule, and takes one already gone (fired, or never made) calmly", async () => {
    await schedules.scheduleOnce({
      name: "expire-req-1",
      at: new Date("2099-01-01T00:00:00Z"),
      contract: RequestExpired,
      detail: expiry(),
    });

    expect(await schedules.cancelSchedule("expire-req-1")).toBe(true);
    expect(await schedules.cancelSchedule("expire-req-1")).toBe(false);
    const { Schedules: left } = await edge.client.send(new ListSchedulesCommand({}));
    expect(left).toEqual([]);
  });
});

describe("atExpression", () => {
  it("writes the UTC time in whole seconds, rounding up so nothing fires early", () => {
    expect(atExpression(new Date("2030-01-02T03:04:05.000Z"))).toBe("at(2030-01-02T03:04:05)");
    expect(atExpression(new Date("2030-01-02T03:04:05.001Z"))).toBe("at(2030-01-02T03:04:06)");
  });
});

describe("loadScheduleSettings", () => {
  it("reads the four settings and names each one missing", () => {
    expect(loadScheduleSettings({ ...SETTINGS })).toEqual(SETTINGS);
    expect(() => loadScheduleSettings({ ...SETTINGS, SCHEDULE_GROUP: undefined, EVENT_BUS_ARN: "" })).toThrow(
      new ConfigError("Invalid configuration: SCHEDULE_GROUP is not set; EVENT_BUS_ARN must not be empty"),
    );
  });
});
