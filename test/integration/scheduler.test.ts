import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateScheduleCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  SchedulerClient,
} from "@aws-sdk/client-scheduler";
import { afterAll, describe, expect, it } from "vitest";
import { APPROVALS_BUS } from "../../events/contract.ts";
import { existingServicesPrincipal } from "../../infra/local/edge/principals.ts";
import {
  LOCAL_SCHEDULE_GROUP,
  LOCAL_SCHEDULER_ROLE_ARN,
} from "../../infra/local/scheduler/stack-resources.ts";
import { type StackUnderTest, startStack } from "../support/stack.ts";

describe("local mode's EventBridge Scheduler", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "approvals-scheduler-"));
  const stacks: StackUnderTest[] = [];
  afterAll(async () => {
    for (const stack of stacks) await stack.stop("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  const schedulerOf = async (stack: StackUnderTest) =>
    new SchedulerClient({
      endpoint: stack.edgeUrl,
      region: "us-east-1",
      credentials: await existingServicesPrincipal(dataDir),
      maxAttempts: 1,
    });

  it("serves the stack's schedule group at the edge and keeps its schedules through a kill -9", async () => {
    const first = await startStack({ dataDir });
    stacks.push(first);
    const client = await schedulerOf(first);
    const group = await client.send(new GetScheduleGroupCommand({ Name: LOCAL_SCHEDULE_GROUP }));
    await client.send(
      new CreateScheduleCommand({
        Name: "remind-later",
        GroupName: LOCAL_SCHEDULE_GROUP,
        ScheduleExpression: "at(2099-01-01T00:00:00)",
        FlexibleTimeWindow: { Mode: "OFF" },
        Target: {
          Arn: `arn:aws:events:us-east-1:000000000000:event-bus/${APPROVALS_BUS}`,
          RoleArn: LOCAL_SCHEDULER_ROLE_ARN,
          Input: "{}",
          EventBridgeParameters: { DetailType: "ReminderDue", Source: "approvals.decision" },
        },
      }),
    );
    client.destroy();
    await first.stop("SIGKILL");

    const second = await startStack({ dataDir, ports: first.ports });
    stacks.push(second);
    const again = await schedulerOf(second);
    const schedule = await again.send(
      new GetScheduleCommand({ Name: "remind-later", GroupName: LOCAL_SCHEDULE_GROUP }),
    );
    again.destroy();

    expect(group).toMatchObject({ Name: LOCAL_SCHEDULE_GROUP, State: "ACTIVE" });
    expect(schedule).toMatchObject({ ScheduleExpression: "at(2099-01-01T00:00:00)", State: "ENABLED" });
  });
});
