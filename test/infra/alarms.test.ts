import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeploymentContextError, readDeploymentContext } from "../../infra/aws/context.ts";
import { services } from "../../services/registry.ts";
import { cdkJsonContext, type SynthesizedStack, synthesize } from "./synth.ts";

type Resource = { Type: string; Properties: Record<string, unknown> };
type Dimension = { Name: string; Value: unknown };
type AlarmProperties = {
  AlarmName: string;
  AlarmDescription: unknown;
  Namespace: string;
  MetricName: string;
  Dimensions: Dimension[];
  Statistic: string;
  Period: number;
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  TreatMissingData: string;
  AlarmActions: unknown[];
  OKActions: unknown[];
};

const ALARM_EMAIL = "ops@example.org";

/** CloudFormation's limits per template (the stack's own, and the nested alarms' stack). */
const MAX_RESOURCES = 500;
const MAX_PARAMETERS = 200;

/** The nested alarms' stack's template, as the assembly holds it. */
const nestedTemplateOf = (synth: SynthesizedStack) =>
  Template.fromJSON(JSON.parse(readFileSync(join(synth.outdir, synth.stack.alarms.templateFile), "utf8")));

const resourcesOf = (template: Template) => template.toJSON().Resources as Record<string, Resource>;

/** The template's one resource of `type`, with its logical id. */
const theOne = (template: Template, type: string): [string, Resource] => {
  const found = Object.entries(template.findResources(type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as [string, Resource];
};

describe("the AWS stack's alarms and dashboard, with context alarmEmail", () => {
  let synth: SynthesizedStack;
  let parent: Record<string, Resource>;
  let nested: Template;
  let alarms: AlarmProperties[];
  /** How the parent passes each of its values into the nested stack, as the nested template refers to them. */
  let nestedRefOf: (valueInParent: unknown) => { Ref: string };
  let topicRef: { Ref: string };

  beforeAll(() => {
    synth = synthesize({ alarmEmail: ALARM_EMAIL });
    parent = resourcesOf(synth.template);
    nested = nestedTemplateOf(synth);
    alarms = Object.values(nested.findResources("AWS::CloudWatch::Alarm")).map(
      (alarm) => alarm.Properties as AlarmProperties,
    );
    const [, stackResource] = theOne(synth.template, "AWS::CloudFormation::Stack");
    const parameters = Object.entries(stackResource.Properties.Parameters as Record<string, unknown>);
    nestedRefOf = (valueInParent) => {
      const entry = parameters.find(([, value]) => JSON.stringify(value) === JSON.stringify(valueInParent));
      if (!entry) throw new Error(`the nested stack is not passed ${JSON.stringify(valueInParent)}`);
      return { Ref: entry[0] };
    };
    topicRef = { Ref: theOne(nested, "AWS::SNS::Topic")[0] };
  });
  afterAll(() => synth.cleanUp());

  const alarmsOf = (namespace: string, metricName: string) =>
    alarms.filter((alarm) => alarm.Namespace === namespace && alarm.MetricName === metricName);
  const dimensionsOf = (alarm: AlarmProperties) =>
    Object.fromEntries(alarm.Dimensions.map(({ Name, Value }) => [Name, Value]));
  const ofType = (type: string) => Object.entries(parent).filter(([, resource]) => resource.Type === type);

  it("passes cdk-nag's AwsSolutions and Serverless packs with no unacknowledged finding", () => {
    expect(synth.nagFindings).toEqual([]);
  });

  it("keeps both templates within CloudFormation's limits on resources and parameters", () => {
    expect(Object.keys(parent).length).toBeLessThan(MAX_RESOURCES);
    expect(Object.keys(resourcesOf(nested)).length).toBeLessThan(MAX_RESOURCES);
    expect(Object.keys(nested.toJSON().Parameters ?? {}).length).toBeLessThanOrEqual(MAX_PARAMETERS);
  });

  it("sends every alarm, and its clearing, to the topic, on one period reaching 1, with no data no fault", () => {
    expect(alarms.length).toBeGreaterThan(0);
    // SES's reputation alarms have rates for thresholds, over an hour (test/infra/ses.test.ts).
    for (const alarm of alarms.filter(({ Namespace }) => Namespace !== "AWS/SES")) {
      expect(alarm).toMatchObject({
        AlarmActions: [topicRef],
        OKActions: [topicRef],
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        EvaluationPeriods: 1,
        Period: 300,
        TreatMissingData: "notBreaching",
      });
    }
  });

  it("names each alarm once, after the stack, and tells its reader where to look", () => {
    const names = alarms.map((alarm) => alarm.AlarmName);
    expect(new Set(names).size).toBe(names.length);
    for (const alarm of alarms) {
      expect(alarm.AlarmName).toMatch(/^ApprovalsTest: /);
      expect(JSON.stringify(alarm.AlarmDescription)).toMatch(/docs\/DEPLOYMENT\.md, section/);
    }
  });

  it("watches each dead-letter queue of the stack (consumers' and the schedules') for a message waiting", () => {
    const queues = ofType("AWS::SQS::Queue");
    const schedules = synth.stack.schedules;
    if (!schedules) throw new Error("the stack made no schedules");
    expect(queues.map(([id]) => id)).toContain(synth.logicalIdOf(schedules.deadLetters));
    const depthAlarms = alarmsOf("AWS/SQS", "ApproximateNumberOfMessagesVisible");
    expect(depthAlarms).toHaveLength(queues.length);
    for (const [queueId] of queues) {
      const queueName = nestedRefOf({ "Fn::GetAtt": [queueId, "QueueName"] });
      const [alarm, ...others] = depthAlarms.filter(
        (candidate) => JSON.stringify(dimensionsOf(candidate)) === JSON.stringify({ QueueName: queueName }),
      );
      expect(others).toEqual([]);
      expect(alarm).toMatchObject({ Statistic: "Maximum" });
    }
  });

  it("watches each of the stack's functions for errors and for throttles, one alarm each", () => {
    // The handlers' functions (Powertools names their service); CDK's own custom-resource function is not ours.
    const functions = ofType("AWS::Lambda::Function").filter(([, resource]) =>
      JSON.stringify(resource.Properties.Environment ?? {}).includes("POWERTOOLS_SERVICE_NAME"),
    );
    const ofServices = synth.stack.services.reduce((count, service) => count + service.functions.size, 0);
    expect(functions).toHaveLength(ofServices + 1); // and sign-in's trigger
    for (const metricName of ["Errors", "Throttles"]) {
      const functionAlarms = alarmsOf("AWS/Lambda", metricName);
      expect(functionAlarms).toHaveLength(functions.length);
      for (const [functionId] of functions) {
        const functionName = nestedRefOf({ Ref: functionId });
        expect(
          functionAlarms.filter(
            (alarm) =>
              JSON.stringify(dimensionsOf(alarm)) === JSON.stringify({ FunctionName: functionName }) &&
              alarm.Statistic === "Sum",
          ),
        ).toHaveLength(1);
      }
    }
  });

  it("says a capped launcher's throttles mean its cap is reached, any other function's the account's concurrency", () => {
    const throttleAlarmOf = (functionId: string) => {
      const functionName = nestedRefOf({ Ref: functionId });
      const [alarm] = alarmsOf("AWS/Lambda", "Throttles").filter(
        (candidate) =>
          JSON.stringify(dimensionsOf(candidate)) === JSON.stringify({ FunctionName: functionName }),
      );
      return JSON.stringify(alarm?.AlarmDescription);
    };
    const functions = ofType("AWS::Lambda::Function").filter(([, resource]) =>
      JSON.stringify(resource.Properties.Environment ?? {}).includes("POWERTOOLS_SERVICE_NAME"),
    );
    const capped = functions.filter(([, fn]) => fn.Properties.ReservedConcurrentExecutions !== undefined);
    expect(capped.length).toBeGreaterThan(0);
    for (const [functionId, fn] of functions) {
      const description = throttleAlarmOf(functionId);
      if (fn.Properties.ReservedConcurrentExecutions === undefined) {
        expect(description).toMatch(/the account's concurrency is used up/);
      } else {
        expect(description).toMatch(
          new RegExp(
            `cap of ${fn.Properties.ReservedConcurrentExecutions} launches at once \\(context launcherConcurrency\\) is reached`,
          ),
        );
        expect(description).toMatch(/wait in Lambda's asynchronous queue/);
        expect(description).not.toMatch(/account's concurrency/);
      }
    }
  });

  it("watches each rule for invocations that failed for good and for events it dead-lettered", () => {
    const rules = ofType("AWS::Events::Rule");
    expect(rules).toHaveLength(services.reduce((count, service) => count + service.subscriptions.length, 0));
    for (const metricName of ["FailedInvocations", "InvocationsSentToDlq"]) {
      const ruleAlarms = alarmsOf("AWS/Events", metricName);
      expect(ruleAlarms).toHaveLength(rules.length);
      for (const [ruleId, rule] of rules) {
        // A rule's ARN is `rule/name` on the default bus and `rule/bus/name` on a custom one.
        const onApprovalsBus =
          rule.Properties.EventBusName !== undefined && rule.Properties.EventBusName !== "default";
        const arnPart = (index: number) => ({
          "Fn::Select": [index, { "Fn::Split": ["/", nestedRefOf({ "Fn::GetAtt": [ruleId, "Arn"] })] }],
        });
        const ruleName = arnPart(onApprovalsBus ? 2 : 1);
        const dimensions = onApprovalsBus
          ? { EventBusName: arnPart(1), RuleName: ruleName }
          : { RuleName: ruleName };
        expect(
          ruleAlarms.filter(
            (alarm) =>
              JSON.stringify(dimensionsOf(alarm)) === JSON.stringify(dimensions) && alarm.Statistic === "Sum",
          ),
        ).toHaveLength(1);
      }
    }
  });

  it("watches the HTTP API for any 5xx answer in 5 minutes (a count, not a rate)", () => {
    const [apiId] = ofType("AWS::ApiGatewayV2::Api").map(([id]) => id);
    expect(alarmsOf("AWS/ApiGateway", "5xx")).toEqual([
      expect.objectContaining({
        Dimensions: [{ Name: "ApiId", Value: nestedRefOf({ Ref: apiId }) }],
        Statistic: "Sum",
        Period: 300,
        Threshold: 1,
      }),
    ]);
  });

  it("has no alarm beyond those: queues, functions, rules, the API and SES's two (test/infra/ses.test.ts)", () => {
    const counted =
      ofType("AWS::SQS::Queue").length +
      2 * alarmsOf("AWS/Lambda", "Errors").length +
      2 * ofType("AWS::Events::Rule").length +
      1 +
      2;
    expect(alarms).toHaveLength(counted);
  });

  it("sends to a topic encrypted with a rotated key CloudWatch may use, over TLS only, that mails alarmEmail", () => {
    const [keyId, key] = theOne(nested, "AWS::KMS::Key");
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect((key.Properties.KeyPolicy as { Statement: unknown[] }).Statement).toContainEqual({
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
    });
    nested.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: { "Fn::GetAtt": [keyId, "Arn"] } });
    const [, policy] = theOne(nested, "AWS::SNS::TopicPolicy");
    const statements = (policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: "Deny",
        Action: "sns:Publish",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicRef,
      }),
    );
    expect(Object.values(nested.findResources("AWS::SNS::Subscription"))).toEqual([
      expect.objectContaining({
        Properties: { Protocol: "email", Endpoint: ALARM_EMAIL, TopicArn: topicRef },
      }),
    ]);
  });

  it("draws a dashboard of the flow: the API, every service's functions, the rules and the dead letters", () => {
    const body = JSON.stringify(theOne(nested, "AWS::CloudWatch::Dashboard")[1].Properties.DashboardBody);
    for (const title of ["API: requests", "API: 4xx and 5xx", "API: latency", "Rules: invocations"])
      expect(body).toContain(title);
    expect(body).toContain("Rules: failed and dead-lettered");
    expect(body).toContain("Dead-letter queues: messages waiting");
    for (const { name } of services) {
      for (const graph of ["invocations", "errors", "duration (p90)"])
        expect(body).toContain(`${name}: ${graph}`);
    }
  });

  it("names the topic and the dashboard in the stack's outputs", () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, unknown>;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(["AlarmTopicArn", "DashboardName"]));
  });
});

describe("the alarms' topic without context alarmEmail", () => {
  let synth: SynthesizedStack;
  beforeAll(() => {
    synth = synthesize();
  });
  afterAll(() => synth.cleanUp());

  it("has no subscriber, and the alarms are there all the same", () => {
    const nested = nestedTemplateOf(synth);
    nested.resourceCountIs("AWS::SNS::Subscription", 0);
    nested.resourceCountIs("AWS::SNS::Topic", 1);
    expect(Object.keys(nested.findResources("AWS::CloudWatch::Alarm")).length).toBeGreaterThan(0);
  });
});

describe("context alarmEmail", () => {
  const contextWith = (alarmEmail: unknown) => {
    const context: Record<string, unknown> = { ...cdkJsonContext(), alarmEmail };
    return { tryGetContext: (key: string) => context[key] };
  };

  it("is off when empty, as cdk.json ships it", () => {
    expect(readDeploymentContext(contextWith("")).alarmEmail).toBeUndefined();
    expect(readDeploymentContext(contextWith(ALARM_EMAIL)).alarmEmail).toBe(ALARM_EMAIL);
  });

  it("fails synth naming the key when it is not an email address", () => {
    const read = () => readDeploymentContext(contextWith("ops-at-example.org"));
    expect(read).toThrow(DeploymentContextError);
    expect(read).toThrow(/alarmEmail must be an email address/);
  });
});
