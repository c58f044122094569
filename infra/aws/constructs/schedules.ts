import { RemovalPolicy, Stack } from "aws-cdk-lib";
import type { IEventBus } from "aws-cdk-lib/aws-events";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { ScheduleGroup } from "aws-cdk-lib/aws-scheduler";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { Publication, ServiceName } from "../../../services/shared/manifest.ts";
import type { ScheduleSettings } from "../../../services/shared/schedules.ts";
import { acknowledge, explainedPolicy } from "../nag.ts";
import type { HandlerFunction } from "./handler-function.ts";
import { DEAD_LETTER_RETENTION, publishConditionsOf } from "./service.ts";

/** What a function may do with the stack's schedules: make, read, move and take back, never list others'. */
export const SCHEDULE_ACTIONS = [
  "scheduler:CreateSchedule",
  "scheduler:DeleteSchedule",
  "scheduler:GetSchedule",
  "scheduler:UpdateSchedule",
];

const SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com";

export interface SchedulesProps {
  bus: IEventBus;
  /** The services that declare `needs.schedules`, with what each publishes. */
  schedulers: readonly { name: ServiceName; publishes: readonly Publication[] }[];
}

/**
 * EventBridge Scheduler for the services that declare `needs.schedules`: one schedule group for the
 * stack, the role Scheduler puts their events on the bus with, and the dead-letter queue of their
 * failed invocations. The role may put on the bus only what those services publish themselves, so a
 * schedule cannot carry an event its service could not put directly.
 */
export class Schedules extends Construct {
  readonly group: ScheduleGroup;
  readonly role: Role;
  readonly deadLetters: Queue;
  /** The environment of every function granted the schedules. */
  readonly settings: ScheduleSettings;

  constructor(scope: Construct, id: string, { bus, schedulers }: SchedulesProps) {
    super(scope, id);
    const { account } = Stack.of(this);
    // Schedules are pending work of the stack's own: they go with it, unlike its tables' records.
    this.group = new ScheduleGroup(this, "Group", { removalPolicy: RemovalPolicy.DESTROY });

    this.deadLetters = new Queue(this, "DeadLetters", {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    acknowledge(
      this.deadLetters,
      "Serverless-SQSRedrivePolicy",
      "This queue is itself the dead-letter queue of the stack's schedules (EventBridge Scheduler's DeadLetterConfig); messages are looked at by an operator, not redriven by another queue",
    );
    acknowledge(
      this.deadLetters,
      "AwsSolutions-SQS3",
      "This queue is the dead-letter queue of the stack's schedules, named in each schedule's DeadLetterConfig rather than in a queue's redrive policy",
    );

    // Only Scheduler acting for this account's schedule group may take the role (confused deputy prevention).
    this.role = new Role(this, "Role", {
      description: "EventBridge Scheduler: puts the stack's scheduled events on the approvals bus",
      assumedBy: new ServicePrincipal(SCHEDULER_PRINCIPAL, {
        conditions: {
          StringEquals: { "aws:SourceAccount": account, "aws:SourceArn": this.group.scheduleGroupArn },
        },
      }),
    });
    for (const { name, publishes } of schedulers) {
      for (const conditions of publishConditionsOf(name, publishes)) {
        this.role.addToPrincipalPolicy(
          new PolicyStatement({ actions: ["events:PutEvents"], resources: [bus.eventBusArn], conditions }),
        );
      }
    }
    // Scheduler sends an invocation that failed for good to the DLQ as the schedule's role.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["sqs:SendMessage"], resources: [this.deadLetters.queueArn] }),
    );

    this.settings = {
      SCHEDULE_GROUP: this.group.scheduleGroupName,
      SCHEDULER_ROLE_ARN: this.role.roleArn,
      SCHEDULER_DLQ_ARN: this.deadLetters.queueArn,
      EVENT_BUS_ARN: bus.eventBusArn,
    };
  }

  /** Lets a function make and take back schedules in the group, naming the stack's role and no other. */
  grantTo(fn: HandlerFunction): void {
    const schedulesOfGroup = Stack.of(this).formatArn({
      service: "scheduler",
      resource: "schedule",
      resourceName: `${this.group.scheduleGroupName}/*`,
    });
    explainedPolicy(fn, "Schedules", fn.role, [
      {
        statement: new PolicyStatement({ actions: SCHEDULE_ACTIONS, resources: [schedulesOfGroup] }),
        wildcardReason:
          "Schedules are made per request at run time with names of their own; the function reaches only those of the stack's schedule group",
      },
      {
        statement: new PolicyStatement({
          actions: ["iam:PassRole"],
          resources: [this.role.roleArn],
          conditions: { StringEquals: { "iam:PassedToService": SCHEDULER_PRINCIPAL } },
        }),
      },
    ]);
  }
}
