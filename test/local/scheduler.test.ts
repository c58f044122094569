import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  type SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
} from "@aws-sdk/client-scheduler";
import { afterEach, describe, expect, it } from "vitest";
import { OUTSIDE_PRINCIPAL } from "../../infra/local/edge/principals.ts";
import { atExpression } from "../../services/shared/schedules.ts";
import type { SchedulerChildMessage } from "../fixtures/scheduler-crash-child.ts";
import { temporaryDataDir } from "../support/bus.ts";
import { TEST_REGION, TEST_SERVICES_PRINCIPAL } from "../support/local-events.ts";
import {
  type SchedulingEdge,
  schedulerClientAs,
  startSchedulingEdge,
  TEST_BUS_ARN,
  TEST_DLQ_ARN,
  TEST_SCHEDULE_GROUP,
  TEST_SCHEDULER_ROLE_ARN,
} from "../support/scheduler.ts";
import { waitUntil } from "../support/wait.ts";

const CRASH_CHILD = fileURLToPath(new URL("../fixtures/scheduler-crash-child.ts", import.meta.url));
const ACCOUNT = "000000000000";

let edges: SchedulingEdge[] = [];
let children: ChildProcess[] = [];
let dataDirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const edge of edges.splice(0)) await edge.close();
  for (const dir of dataDirs.splice(0)) await rm(dir, { recursive: true, force: true });
  edges = [];
  children = [];
  dataDirs = [];
});

const newDataDir = async () => {
  const dir = await temporaryDataDir();
  dataDirs.push(dir);
  return dir;
};

const start = async (options: { dataDir?: string; rateIntervalOverrideMs?: number } = {}) => {
  const edge = await startSchedulingEdge({ dataDir: options.dataDir ?? (await newDataDir()), ...options });
  edges.push(edge);
  return edge;
};

/** Closes an edge the test started, as a clean stop of the stack would. */
const stop = async (edge: SchedulingEdge) => {
  edges = edges.filter((running) => running !== edge);
  await edge.close();
};

const inMs = (ms: number) => new Date(Date.now() + ms);

const target = (overrides: Partial<NonNullable<CreateScheduleCommandInput["Target"]>> = {}) => ({
  Arn: TEST_BUS_ARN,
  RoleArn: TEST_SCHEDULER_ROLE_ARN,
  Input: JSON.stringify({ requestId: "r-1", reminder: 1 }),
  EventBridgeParameters: { DetailType: "ReminderDue", Source: "test.scheduler" },
  DeadLetterConfig: { Arn: TEST_DLQ_ARN },
  ...overrides,
});

const oneTime = (
  name: string,
  at: Date,
  overrides: Partial<CreateScheduleCommandInput> = {},
): CreateScheduleCommandInput => ({
  Name: name,
  ScheduleExpression: atExpression(at),
  FlexibleTimeWindow: { Mode: "OFF" },
  Target: target(),
  ...overrides,
});

/** The error a call fails with; the call must fail. */
const failureOf = (call: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> =>
  call.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: Error) => error,
  );

const FAR_AWAY = new Date("2099-01-01T00:00:00Z");

describe("the local Scheduler's API, through @aws-sdk/client-scheduler", () => {
  it("creates a schedule and gives it back with AWS's defaults filled in", async () => {
    const { client } = await start();
    const before = Date.now();

    const created = await client.send(new CreateScheduleCommand(oneTime("remind-r-1", FAR_AWAY)));
    const schedule = await client.send(new GetScheduleCommand({ Name: "remind-r-1" }));

    const arn = `arn:aws:scheduler:${TEST_REGION}:${ACCOUNT}:schedule/default/remind-r-1`;
    expect(created.ScheduleArn).toBe(arn);
    expect(schedule).toMatchObject({
      Arn: arn,
      Name: "remind-r-1",
      GroupName: "default",
      ScheduleExpression: "at(2099-01-01T00:00:00)",
      ScheduleExpressionTimezone: "UTC",
      State: "ENABLED",
      ActionAfterCompletion: "NONE",
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: { ...target(), RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 } },
    });
    expect(schedule.CreationDate?.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(schedule.LastModificationDate).toEqual(schedule.CreationDate);
  });

  it("refuses a second schedule of the same name, but answers a retried call of the same ClientToken", async () => {
    const { client } = await start();
    const input = oneTime("remind-r-1", FAR_AWAY, { ClientToken: "token-1" });
    const first = await client.send(new CreateScheduleCommand(input));

    const retried = await client.send(new CreateScheduleCommand(input));
    const conflict = await failureOf(
      client.send(new CreateScheduleCommand({ ...input, ClientToken: "token-2" })),
    );

    expect(retried.ScheduleArn).toBe(first.ScheduleArn);
    expect(conflict).toBeInstanceOf(ConflictException);
    expect(conflict.message).toBe("Schedule remind-r-1 already exists.");
    expect(conflict.$metadata?.httpStatusCode).toBe(409);
  });

  it("replaces the whole definition on update, and refuses to update or delete what does not exist", async () => {
    const { client } = await start();
    await client.send(
      new CreateScheduleCommand(oneTime("remind-r-1", FAR_AWAY, { Description: "first reminder" })),
    );

    await client.send(
      new UpdateScheduleCommand({
        ...oneTime("remind-r-1", new Date("2098-06-01T12:30:00Z")),
        State: "DISABLED",
      }),
    );
    const updated = await client.send(new GetScheduleCommand({ Name: "remind-r-1" }));
    const missingUpdate = await failureOf(
      client.send(new UpdateScheduleCommand(oneTime("no-such-schedule", FAR_AWAY))),
    );
    const missingDelete = await failureOf(
      client.send(new DeleteScheduleCommand({ Name: "no-such-schedule" })),
    );

    expect(updated).toMatchObject({ ScheduleExpression: "at(2098-06-01T12:30:00)", State: "DISABLED" });
    expect(updated.Description).toBeUndefined();
    expect(updated.LastModificationDate?.getTime()).toBeGreaterThanOrEqual(
      updated.CreationDate?.getTime() ?? 0,
    );
    for (const error of [missingUpdate, missingDelete]) {
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect(error.message).toBe("Schedule no-such-schedule does not exist.");
      expect(error.$metadata?.httpStatusCode).toBe(404);
    }
  });

  it("deletes a schedule, after which it is not found", async () => {
    const { client } = await start();
    await client.send(new CreateScheduleCommand(oneTime("remind-r-1", FAR_AWAY)));

    await client.send(new DeleteScheduleCommand({ Name: "remind-r-1" }));

    expect(await failureOf(client.send(new GetScheduleCommand({ Name: "remind-r-1" })))).toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it("lists schedules by group, name prefix and state, a page at a time", async () => {
    const { client } = await start();
    for (const name of ["remind-a", "remind-b", "remind-c", "expire-a"]) {
      await client.send(
        new CreateScheduleCommand(oneTime(name, FAR_AWAY, { GroupName: TEST_SCHEDULE_GROUP })),
      );
    }
    await client.send(new CreateScheduleCommand(oneTime("remind-z", FAR_AWAY, { State: "DISABLED" })));

    const first = await client.send(
      new ListSchedulesCommand({ GroupName: TEST_SCHEDULE_GROUP, NamePrefix: "remind-", MaxResults: 2 }),
    );
    const second = await client.send(
      new ListSchedulesCommand({
        GroupName: TEST_SCHEDULE_GROUP,
        NamePrefix: "remind-",
        MaxResults: 2,
        NextToken: first.NextToken,
      }),
    );
    const disabled = await client.send(new ListSchedulesCommand({ State: "DISABLED" }));

    expect(first.Schedules?.map((schedule) => schedule.Name)).toEqual(["remind-a", "remind-b"]);
    expect(second.Schedules?.map((schedule) => schedule.Name)).toEqual(["remind-c"]);
    expect(second.NextToken).toBeUndefined();
    expect(first.Schedules?.[0]).toMatchObject({
      Arn: `arn:aws:scheduler:${TEST_REGION}:${ACCOUNT}:schedule/${TEST_SCHEDULE_GROUP}/remind-a`,
      GroupName: TEST_SCHEDULE_GROUP,
      State: "ENABLED",
      Target: { Arn: TEST_BUS_ARN },
    });
    expect(disabled.Schedules?.map((schedule) => `${schedule.GroupName}/${schedule.Name}`)).toEqual([
      "default/remind-z",
    ]);
  });

  it("has the default group and the stack's, makes others, and refuses what AWS refuses", async () => {
    const { client } = await start();

    const created = await client.send(new CreateScheduleGroupCommand({ Name: "reports" }));
    const reports = await client.send(new GetScheduleGroupCommand({ Name: "reports" }));
    const byDefault = await client.send(new GetScheduleGroupCommand({ Name: "default" }));
    const listed = await client.send(new ListScheduleGroupsCommand({}));
    const again = await failureOf(client.send(new CreateScheduleGroupCommand({ Name: "reports" })));
    const theDefault = await failureOf(client.send(new CreateScheduleGroupCommand({ Name: "default" })));
    const missing = await failureOf(client.send(new GetScheduleGroupCommand({ Name: "nope" })));
    const inMissingGroup = await failureOf(
      client.send(new CreateScheduleCommand(oneTime("remind-r-1", FAR_AWAY, { GroupName: "nope" }))),
    );

    expect(created.ScheduleGroupArn).toBe(
      `arn:aws:scheduler:${TEST_REGION}:${ACCOUNT}:schedule-group/reports`,
    );
    expect(reports).toMatchObject({ Name: "reports", State: "ACTIVE", Arn: created.ScheduleGroupArn });
    expect(reports.CreationDate).toBeInstanceOf(Date);
    expect(byDefault).toMatchObject({ Name: "default", State: "ACTIVE" });
    expect(listed.ScheduleGroups?.map((group) => group.Name)).toEqual([
      TEST_SCHEDULE_GROUP,
      "default",
      "reports",
    ]);
    expect(again).toBeInstanceOf(ConflictException);
    expect(theDefault).toBeInstanceOf(ValidationException);
    expect(theDefault.message).toBe("This operation cannot be performed on schedule group default.");
    for (const error of [missing, inMissingGroup]) {
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect(error.message).toBe("Schedule group nope does not exist.");
    }
  });
});

describe("the local Scheduler's refusals", () => {
  it.each([
    "at(2030-01-01T00:00:00Z)",
    "at(2030-02-30T00:00:00)",
    "at(2030-01-01 00:00:00)",
    "rate(0 minutes)",
    "rate(10 seconds)",
    "rate( 10 minutes )",
    "rate(10)",
    "in ten minutes",
  ])("refuses the expression %s as AWS does", async (expression) => {
    const { client } = await start();

    const error = await failureOf(
      client.send(new CreateScheduleCommand(oneTime("bad", FAR_AWAY, { ScheduleExpression: expression }))),
    );

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toBe(`Invalid Schedule Expression ${expression}.`);
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it("says plainly that cron() is not run locally, and refuses an unknown time zone", async () => {
    const { client } = await start();

    const cron = await failureOf(
      client.send(
        new CreateScheduleCommand(oneTime("c", FAR_AWAY, { ScheduleExpression: "cron(0 12 * * ? *)" })),
      ),
    );
    const zone = await failureOf(
      client.send(
        new CreateScheduleCommand(oneTime("z", FAR_AWAY, { ScheduleExpressionTimezone: "Mars/Olympus" })),
      ),
    );

    expect(cron).toBeInstanceOf(ValidationException);
    expect(cron.message).toMatch(
      /at\(\.\.\.\) and rate\(\.\.\.\) expressions only, not cron\(0 12 \* \* \? \*\)/,
    );
    expect(zone).toBeInstanceOf(ValidationException);
    expect(zone.message).toMatch(/Mars\/Olympus/);
  });

  it("names every violated constraint in one message, in AWS's words", async () => {
    const { client } = await start();

    const error = await failureOf(
      client.send(
        new CreateScheduleCommand({
          Name: "no spaces allowed",
          ScheduleExpression: atExpression(FAR_AWAY),
          Target: target({ EventBridgeParameters: { DetailType: "ReminderDue", Source: "aws.ec2" } }),
        } as CreateScheduleCommandInput),
      ),
    );

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toBe(
      "3 validation errors detected: " +
        "Value 'no spaces allowed' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$; " +
        "Value null at 'flexibleTimeWindow' failed to satisfy constraint: Member must not be null; " +
        "Value 'aws.ec2' at 'target.eventBridgeParameters.source' failed to satisfy constraint: Member must satisfy regular expression pattern: (?=[/\\.\\-_A-Za-z0-9]+)((?!aws\\.).*)|(\\$(\\.[\\w_-]+(\\[(\\d+|\\*)\\])*)*)",
    );
  });

  it.each([
    [
      "a window with OFF",
      { FlexibleTimeWindow: { Mode: "OFF" as const, MaximumWindowInMinutes: 5 } },
      "MaximumWindowInMinutes must not be provided when FlexibleTimeWindowMode is set to OFF.",
    ],
    [
      "Input that is not JSON",
      { Target: target({ Input: "{not json" }) },
      "JSON syntax error in input for the target.",
    ],
    [
      "a bus of another region",
      { Target: target({ Arn: `arn:aws:events:us-west-2:${ACCOUNT}:event-bus/approvals` }) },
      `The target ARN provided does not match the current region ${TEST_REGION}.`,
    ],
    [
      "an end before the start",
      { StartDate: new Date("2099-02-01T00:00:00Z"), EndDate: new Date("2099-01-01T00:00:00Z") },
      "The StartDate you specify must come before the EndDate.",
    ],
  ])("refuses %s", async (_, overrides, message) => {
    const { client } = await start();

    const error = await failureOf(
      client.send(new CreateScheduleCommand(oneTime("bad", FAR_AWAY, overrides))),
    );

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toBe(message);
  });

  it("refuses targets other than an event bus, and an Input that cannot be an event's detail", async () => {
    const { client } = await start();

    const queue = await failureOf(
      client.send(
        new CreateScheduleCommand(oneTime("q", FAR_AWAY, { Target: target({ Arn: TEST_DLQ_ARN }) })),
      ),
    );
    const list = await failureOf(
      client.send(new CreateScheduleCommand(oneTime("l", FAR_AWAY, { Target: target({ Input: "[1, 2]" }) }))),
    );

    expect(queue).toBeInstanceOf(ValidationException);
    expect(queue.message).toMatch(/EventBridge PutEvents targets only: Target.Arn must be an event bus ARN/);
    expect(list).toBeInstanceOf(ValidationException);
    expect(list.message).toMatch(/Target.Input must be a JSON object/);
  });

  it("refuses a role the services may not pass", async () => {
    const { client } = await start();
    const otherRole = `arn:aws:iam::${ACCOUNT}:role/admin`;

    const error = await failureOf(
      client.send(
        new CreateScheduleCommand(oneTime("r", FAR_AWAY, { Target: target({ RoleArn: otherRole }) })),
      ),
    );

    expect(error.name).toBe("AccessDeniedException");
    expect(error.message).toBe(
      `User: arn:aws:iam::${ACCOUNT}:role/approvals-services is not authorized to perform: iam:PassRole on resource: ${otherRole}`,
    );
  });

  it("answers the outside credentials with AccessDenied: Scheduler is the stack's alone", async () => {
    const { url } = await start();
    const outside = schedulerClientAs(url, OUTSIDE_PRINCIPAL);

    const error = await failureOf(outside.send(new ListSchedulesCommand({})));
    outside.destroy();

    expect(error.name).toBe("AccessDeniedException");
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });
});

/** Waits until `count` events arrived, then a little longer to see that no more do. */
const settledDeliveries = async (edge: SchedulingEdge, count: number) => {
  await waitUntil(() => expect(edge.delivered.length).toBeGreaterThanOrEqual(count));
  await sleep(500);
  return edge.delivered;
};

const scheduleExists = async (client: SchedulerClient, name: string) =>
  client.send(new GetScheduleCommand({ Name: name })).then(
    () => true,
    (error: unknown) => {
      if (error instanceof ResourceNotFoundException) return false;
      throw error;
    },
  );

describe("the local Scheduler firing into the bus", () => {
  it("puts an at() schedule's event on the bus at its time, where rules deliver it, and deletes it after", async () => {
    const edge = await start();
    const at = inMs(1_500);
    const { ScheduleArn } = await edge.client.send(
      new CreateScheduleCommand(oneTime("remind-r-1", at, { ActionAfterCompletion: "DELETE" })),
    );

    const [event, ...more] = await settledDeliveries(edge, 1);

    expect(more).toEqual([]);
    expect(event).toMatchObject({
      source: "test.scheduler",
      "detail-type": "ReminderDue",
      detail: { requestId: "r-1", reminder: 1 },
      account: ACCOUNT,
      region: TEST_REGION,
      resources: [ScheduleArn],
    });
    expect(new Date(event?.time ?? 0).getTime()).toBeGreaterThanOrEqual(
      Math.floor(at.getTime() / 1000) * 1000,
    );
    expect(await scheduleExists(edge.client, "remind-r-1")).toBe(false);
  });

  it("keeps an at() schedule that asks for nothing after completion, without firing it again", async () => {
    const edge = await start();
    await edge.client.send(new CreateScheduleCommand(oneTime("remind-r-1", inMs(1_000))));

    expect(await settledDeliveries(edge, 1)).toHaveLength(1);
    expect(await scheduleExists(edge.client, "remind-r-1")).toBe(true);
  });

  it("reads an at() time in the schedule's time zone", async () => {
    const edge = await start();
    const at = inMs(1_500);
    // Tokyo keeps no daylight saving time: its clocks are 9 hours ahead of UTC all year.
    const tokyoWallClock = new Date(at.getTime() + 9 * 3_600_000);

    await edge.client.send(
      new CreateScheduleCommand(
        oneTime("remind-r-1", tokyoWallClock, { ScheduleExpressionTimezone: "Asia/Tokyo" }),
      ),
    );

    expect(await settledDeliveries(edge, 1)).toHaveLength(1);
  });

  it("fires nothing while a schedule is disabled", async () => {
    const edge = await start();
    await edge.client.send(
      new CreateScheduleCommand(oneTime("remind-r-1", inMs(300), { State: "DISABLED" })),
    );

    await sleep(1_500);

    expect(edge.delivered).toEqual([]);
  });

  it("fires a rate() schedule at once and then every period, each time as a new event, until disabled", async () => {
    const edge = await start({ rateIntervalOverrideMs: 300 });
    await edge.client.send(
      new CreateScheduleCommand({ ...oneTime("sweep", FAR_AWAY), ScheduleExpression: "rate(5 minutes)" }),
    );

    await waitUntil(() => expect(edge.delivered.length).toBeGreaterThanOrEqual(3));
    await edge.client.send(
      new UpdateScheduleCommand({
        ...oneTime("sweep", FAR_AWAY),
        ScheduleExpression: "rate(5 minutes)",
        State: "DISABLED",
      }),
    );
    const firedBeforeDisabling = edge.delivered.length;
    await sleep(1_000);

    expect(new Set(edge.delivered.map((event) => event.id)).size).toBe(edge.delivered.length);
    expect(edge.delivered.length).toBe(firedBeforeDisabling);
  });

  it("fires a schedule that fell due while it was stopped once, late, when it starts again", async () => {
    const dataDir = await newDataDir();
    const first = await start({ dataDir });
    await first.client.send(new CreateScheduleCommand(oneTime("remind-r-1", inMs(1_000))));
    await stop(first);

    await sleep(1_500);
    const second = await start({ dataDir });

    expect(await settledDeliveries(second, 1)).toHaveLength(1);
    expect(first.delivered).toEqual([]);
  });
});

describe("the local Scheduler killed with SIGKILL", () => {
  const startChild = async (dataDir: string, deliveries: string, generation: number, crash?: string) => {
    const child = fork(CRASH_CHILD, [dataDir, deliveries, String(generation), ...(crash ? [crash] : [])], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    children.push(child);
    const [message] = (await once(child, "message")) as [SchedulerChildMessage];
    const client = schedulerClientAs(message.url, TEST_SERVICES_PRINCIPAL);
    return { child, client };
  };

  const deliveriesIn = async (file: string) =>
    (await readFile(file, "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [generation, eventId] = line.split(" ");
        return { generation: Number(generation), eventId };
      });

  it("fires a schedule created before the kill once, after the restart", async () => {
    const dataDir = await newDataDir();
    const deliveries = join(dataDir, "deliveries.log");
    await writeFile(deliveries, "");
    const first = await startChild(dataDir, deliveries, 1);
    await first.client.send(new CreateScheduleCommand(oneTime("remind-r-1", inMs(1_500))));
    first.client.destroy();
    first.child.kill("SIGKILL");
    await once(first.child, "exit");

    await sleep(2_000);
    const second = await startChild(dataDir, deliveries, 2);
    await waitUntil(async () => expect(await deliveriesIn(deliveries)).toHaveLength(1));
    await sleep(500);

    expect((await deliveriesIn(deliveries)).map(({ generation }) => generation)).toEqual([2]);
    second.client.destroy();
  });

  it("puts the event on the bus once when killed between journaling it and recording the schedule fired", async () => {
    const dataDir = await newDataDir();
    const deliveries = join(dataDir, "deliveries.log");
    await writeFile(deliveries, "");
    const first = await startChild(dataDir, deliveries, 1, "kill-after-bus-accepted");
    await first.client.send(new CreateScheduleCommand(oneTime("remind-r-1", inMs(1_000))));
    first.client.destroy();
    const [, signal] = await once(first.child, "exit");

    const second = await startChild(dataDir, deliveries, 2);
    await waitUntil(async () => expect(await deliveriesIn(deliveries)).toHaveLength(1));
    await sleep(1_000);
    second.client.destroy();

    // The bus resumed the event it journaled before the kill; the restarted scheduler put it again under
    // the same id, which the bus merged into the delivery it owed.
    expect(signal).toBe("SIGKILL");
    expect(await deliveriesIn(deliveries)).toEqual([{ generation: 2, eventId: expect.any(String) }]);
  });
});
