import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCHEDULE_ACTIONS } from "../../infra/aws/constructs/schedules.ts";
import { services } from "../../services/registry.ts";
import type { ServiceManifest } from "../../services/shared/manifest.ts";
import { type SynthesizedStack, synthesize } from "./synth.ts";

type Statement = {
  Effect?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
};
type Resource = { Type: string; Properties: Record<string, unknown> };

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The services that declare needs.schedules, in the registry's order: decision, the lease service, the launchers' reapers. */
const schedulers = services.filter((manifest) => manifest.needs.schedules);

/** The registry as it is, but with no service scheduling events (as before decision's timers). */
const withoutScheduling = (): ServiceManifest[] =>
  services.map((manifest) => ({ ...manifest, needs: { ...manifest.needs, schedules: false } }));

describe("the AWS stack when a service declares needs.schedules", () => {
  let synth: SynthesizedStack;
  let resources: Record<string, Resource>;
  let ids: { group: string; role: string; queue: string; bus: string };

  beforeAll(() => {
    // decision declares it (its approvals' timers), and so does the lease service (its leases' timers).
    synth = synthesize();
    resources = synth.template.toJSON().Resources as Record<string, Resource>;
    const schedules = synth.stack.schedules;
    if (!schedules) throw new Error("the stack made no schedules");
    ids = {
      group: synth.logicalIdOf(schedules.group),
      role: synth.logicalIdOf(schedules.role),
      queue: synth.logicalIdOf(schedules.deadLetters),
      bus: synth.logicalIdOf(synth.stack.bus),
    };
  });
  afterAll(() => synth.cleanUp());

  const statementsOfRole = (roleId: string): Statement[] =>
    Object.values(resources)
      .filter(
        (resource) =>
          resource.Type === "AWS::IAM::Policy" &&
          asList(resource.Properties.Roles).some(
            (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId }),
          ),
      )
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

  const variablesOf = (functionId: string): Record<string, unknown> =>
    (resources[functionId]?.Properties.Environment as { Variables: Record<string, unknown> } | undefined)
      ?.Variables ?? {};

  /** The group's name, generated at synth and written into the template as text. */
  const groupName = () => resources[ids.group]?.Properties.Name as string;

  const functionsOf = (name: string) =>
    [...(synth.stack.services.find((service) => service.name === name)?.functions.values() ?? [])].map(
      (fn) => ({
        functionId: synth.logicalIdOf(fn.function),
        roleId: synth.logicalIdOf(fn.role),
      }),
    );

  it("passes cdk-nag's AwsSolutions and Serverless packs with no unacknowledged finding", () => {
    expect(synth.nagFindings).toEqual([]);
  });

  it("makes one schedule group for the stack", () => {
    expect(
      Object.values(resources).filter((resource) => resource.Type === "AWS::Scheduler::ScheduleGroup"),
    ).toHaveLength(1);
    expect(resources[ids.group]?.Type).toBe("AWS::Scheduler::ScheduleGroup");
    expect(groupName()).toMatch(/^[0-9a-zA-Z-_.]{1,64}$/);
  });

  it("has a role only Scheduler may take, for this account's schedule group", () => {
    expect(resources[ids.role]?.Properties.AssumeRolePolicyDocument).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "sts:AssumeRole",
          Principal: { Service: "scheduler.amazonaws.com" },
          Condition: {
            StringEquals: {
              "aws:SourceAccount": { Ref: "AWS::AccountId" },
              "aws:SourceArn": { "Fn::GetAtt": [ids.group, "Arn"] },
            },
          },
        },
      ],
    });
  });

  it("lets the role put on the bus only what the scheduling services publish, and send to its DLQ", () => {
    const publishing = schedulers.flatMap((scheduler) => {
      const detailTypesBySource = new Map<string, string[]>();
      for (const { source, contract } of scheduler.publishes) {
        detailTypesBySource.set(source, [...(detailTypesBySource.get(source) ?? []), contract.detailType]);
      }
      return [...detailTypesBySource];
    });

    expect(schedulers.map(({ name }) => name)).toEqual(expect.arrayContaining(["decision", "lease"]));
    expect(statementsOfRole(ids.role)).toEqual([
      ...publishing.map(([source, detailTypes]) => ({
        Effect: "Allow",
        Action: "events:PutEvents",
        Resource: { "Fn::GetAtt": [ids.bus, "Arn"] },
        Condition: {
          "ForAllValues:StringEquals": { "events:source": [source], "events:detail-type": detailTypes },
        },
      })),
      { Effect: "Allow", Action: "sqs:SendMessage", Resource: { "Fn::GetAtt": [ids.queue, "Arn"] } },
    ]);
  });

  it("keeps the dead letters in an encrypted queue that only accepts TLS", () => {
    expect(resources[ids.queue]?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    const queuePolicies = Object.values(resources).filter(
      (resource) =>
        resource.Type === "AWS::SQS::QueuePolicy" &&
        JSON.stringify(resource.Properties.Queues) === JSON.stringify([{ Ref: ids.queue }]),
    );
    const statements = queuePolicies.flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
    );
  });

  it("gives each function of the scheduling services the group, the role, the DLQ and the bus", () => {
    for (const { functionId } of schedulers.flatMap(({ name }) => functionsOf(name))) {
      const variables = variablesOf(functionId);
      expect(variables, functionId).toMatchObject({
        SCHEDULE_GROUP: groupName(),
        SCHEDULER_ROLE_ARN: { "Fn::GetAtt": [ids.role, "Arn"] },
        SCHEDULER_DLQ_ARN: { "Fn::GetAtt": [ids.queue, "Arn"] },
        EVENT_BUS_ARN: { "Fn::GetAtt": [ids.bus, "Arn"] },
      });
    }
  });

  it("lets those functions manage the group's schedules and pass the schedules' role, nothing more", () => {
    for (const { roleId } of schedulers.flatMap(({ name }) => functionsOf(name))) {
      const statements = statementsOfRole(roleId).filter((statement) =>
        asList(statement.Action).some(
          (action) => action.startsWith("scheduler:") || action === "iam:PassRole",
        ),
      );
      expect(statements, roleId).toEqual([
        {
          Effect: "Allow",
          Action: SCHEDULE_ACTIONS,
          Resource: {
            "Fn::Join": [
              "",
              [
                "arn:",
                { Ref: "AWS::Partition" },
                ":scheduler:",
                { Ref: "AWS::Region" },
                ":",
                { Ref: "AWS::AccountId" },
                `:schedule/${groupName()}/*`,
              ],
            ],
          },
        },
        {
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: { "Fn::GetAtt": [ids.role, "Arn"] },
          Condition: { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } },
        },
      ]);
    }
  });

  it("gives the other services' functions neither the schedules nor their settings", () => {
    for (const service of services.filter((manifest) => !manifest.needs.schedules)) {
      for (const { functionId, roleId } of functionsOf(service.name)) {
        const actions = statementsOfRole(roleId).flatMap((statement) => asList(statement.Action));
        expect(
          actions.filter((action) => action.startsWith("scheduler:") || action === "iam:PassRole"),
        ).toEqual([]);
        const variables = variablesOf(functionId);
        expect(Object.keys(variables).filter((name) => name.startsWith("SCHEDULE"))).toEqual([]);
      }
    }
  });

  it("lets the schedules' role past the bus policy for the scheduling services' own sources", () => {
    const busPolicies = Object.values(resources).filter(
      (resource) => resource.Type === "AWS::Events::EventBusPolicy",
    );
    const statements = busPolicies.map((policy) => policy.Properties.Statement as Statement);
    const roleArn = { "Fn::GetAtt": [ids.role, "Arn"] };
    const schedulerSources = new Set(
      schedulers.flatMap((scheduler) => scheduler.publishes.map(({ source }) => source)),
    );
    const ownSourceDenies = statements.filter(
      (statement) =>
        statement.Effect === "Deny" &&
        typeof statement.Condition?.StringEquals?.["events:source"] === "string" &&
        schedulerSources.has(statement.Condition.StringEquals["events:source"] as string),
    );

    expect(ownSourceDenies.length).toBe(schedulerSources.size);
    for (const statement of ownSourceDenies) {
      expect(asList(statement.Condition?.ArnNotEquals?.["aws:PrincipalArn"])).toContainEqual(roleArn);
    }
  });
});

describe("the AWS stack when no service declares needs.schedules", () => {
  it("makes no schedule group, role or queue for schedules", () => {
    const synth = synthesize({}, withoutScheduling());
    try {
      expect(synth.stack.schedules).toBeUndefined();
      expect(synth.template.findResources("AWS::Scheduler::ScheduleGroup")).toEqual({});
    } finally {
      synth.cleanUp();
    }
  });
});
