import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeploymentContextError, readDeploymentContext } from "../../infra/aws/context.ts";
import { cdkJsonContext, type SynthesizedStack, synthesize } from "./synth.ts";

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Resource: unknown };

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The template's one resource of `type`, with its logical id. */
const theOne = (template: Template, type: string): [string, Resource] => {
  const found = Object.entries(template.findResources(type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as [string, Resource];
};

describe("SES in the AWS stack: a configuration set on every send, reporting bounces and complaints", () => {
  let synth: SynthesizedStack;
  let resources: Record<string, Resource>;
  let configurationSetRef: { Ref: string };

  beforeAll(() => {
    synth = synthesize();
    resources = synth.template.toJSON().Resources as Record<string, Resource>;
    configurationSetRef = { Ref: theOne(synth.template, "AWS::SES::ConfigurationSet")[0] };
  });
  afterAll(() => synth.cleanUp());

  /** Each function that sends email, with its environment and its role's statements. */
  const mailingFunctions = () => {
    const policies = Object.values(resources).filter((resource) => resource.Type === "AWS::IAM::Policy");
    return synth.stack.services
      .filter((service) => service.manifest.needs.sendsEmail)
      .flatMap((service) =>
        [...service.functions].map(([id, fn]) => {
          const role = JSON.stringify({ Ref: synth.logicalIdOf(fn.role) });
          const properties = resources[synth.logicalIdOf(fn.function)]?.Properties as {
            Environment: { Variables: Record<string, unknown> };
          };
          return {
            name: `${service.name}/${id}`,
            environment: properties.Environment.Variables,
            statements: policies
              .filter((policy) =>
                asList(policy.Properties.Roles).some((each) => JSON.stringify(each) === role),
              )
              .flatMap(
                (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
              ),
          };
        }),
      );
  };

  it("names a configuration set after the stack, with reputation metrics and SES's suppression list", () => {
    const [, configurationSet] = theOne(synth.template, "AWS::SES::ConfigurationSet");
    expect(configurationSet.Properties).toMatchObject({
      Name: `${synth.stack.stackName}-mail`,
      ReputationOptions: { ReputationMetricsEnabled: true },
      SuppressionOptions: { SuppressedReasons: ["BOUNCE", "COMPLAINT"] },
    });
  });

  it("puts SES's bounces and complaints, and nothing else, on the account's default bus", () => {
    const [, destination] = theOne(synth.template, "AWS::SES::ConfigurationSetEventDestination");
    expect(destination.Properties.ConfigurationSetName).toEqual(configurationSetRef);
    const { EventDestination } = destination.Properties as {
      EventDestination: { MatchingEventTypes: string[]; EventBridgeDestination: { EventBusArn: unknown } };
    };
    expect([...EventDestination.MatchingEventTypes].sort()).toEqual(["bounce", "complaint"]);
    expect(JSON.stringify(EventDestination.EventBridgeDestination.EventBusArn)).toContain(
      ":event-bus/default",
    );
  });

  it("has every mailing function name the configuration set, and lets it send only with it and the sender", () => {
    const [senderId] = theOne(synth.template, "AWS::SES::EmailIdentity");
    const mailing = mailingFunctions();
    expect(mailing.map(({ name }) => name)).toEqual(
      expect.arrayContaining(["notifier/on-request-news", "approval-mail/on-approval-stage-started"]),
    );
    for (const { name, environment, statements } of mailing) {
      expect(environment.SES_CONFIGURATION_SET, name).toEqual(configurationSetRef);
      const sendResources = statements
        .filter((statement) => asList(statement.Action).includes("ses:SendEmail"))
        .flatMap((statement) => asList(statement.Resource))
        .map((resource) => JSON.stringify(resource));
      expect(
        sendResources.some((arn) => arn.includes(senderId)),
        name,
      ).toBe(true);
      expect(
        sendResources.some(
          (arn) => arn.includes("configuration-set/") && arn.includes(configurationSetRef.Ref),
        ),
        name,
      ).toBe(true);
    }
  });

  it("verifies the sender's address alone when no senderDomain is given", () => {
    const [, identity] = theOne(synth.template, "AWS::SES::EmailIdentity");
    expect(identity.Properties.EmailIdentity).toBe(cdkJsonContext().sender);
    expect(identity.Properties.DkimSigningAttributes).toBeUndefined();
  });

  it("has the notifier hear SES's feedback from the default bus, and only it write the suppressions", () => {
    const [, rule] = Object.entries(synth.template.findResources("AWS::Events::Rule")).find(([, each]) =>
      JSON.stringify(each.Properties.EventPattern ?? {}).includes("aws.ses"),
    ) ?? [undefined, undefined];
    expect(rule?.Properties.EventBusName).toBe("default");
    expect(rule?.Properties.EventPattern).toMatchObject({
      source: ["aws.ses"],
      "detail-type": ["Email Bounced", "Email Complaint Received"],
    });
    const suppressions = synth.stack.tables.get("notifier-suppressions");
    const arn = JSON.stringify({ "Fn::GetAtt": [suppressions && synth.logicalIdOf(suppressions), "Arn"] });
    const writers = Object.values(resources)
      .filter((resource) => resource.Type === "AWS::IAM::Policy")
      .filter((policy) =>
        (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement.some(
          (statement) =>
            asList(statement.Action).includes("dynamodb:PutItem") &&
            asList(statement.Resource).some((resource) => JSON.stringify(resource) === arn),
        ),
      );
    expect(writers).toHaveLength(1);
  });

  it("alarms on the account's SES bounce rate at 5% and complaint rate at 0.1%, to the alarms' topic", () => {
    const nested = Template.fromJSON(
      JSON.parse(readFileSync(join(synth.outdir, synth.stack.alarms.templateFile), "utf8")),
    );
    const [topicId] = theOne(nested, "AWS::SNS::Topic");
    const sesAlarms = Object.values(nested.findResources("AWS::CloudWatch::Alarm"))
      .map((alarm) => alarm.Properties as Record<string, unknown>)
      .filter((alarm) => alarm.Namespace === "AWS/SES");
    expect(
      sesAlarms.map(({ MetricName, Threshold, ComparisonOperator, Dimensions }) => ({
        MetricName,
        Threshold,
        ComparisonOperator,
        Dimensions,
      })),
    ).toEqual([
      {
        MetricName: "Reputation.BounceRate",
        Threshold: 0.05,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        Dimensions: undefined,
      },
      {
        MetricName: "Reputation.ComplaintRate",
        Threshold: 0.001,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        Dimensions: undefined,
      },
    ]);
    for (const alarm of sesAlarms)
      expect(alarm).toMatchObject({
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
        Statistic: "Maximum",
        Period: 3600,
        TreatMissingData: "notBreaching",
      });
  });
});

describe("SES with context senderDomain", () => {
  let synth: SynthesizedStack;
  beforeAll(() => {
    synth = synthesize({ sender: "approvals@acme.io", senderDomain: "acme.io" });
  });
  afterAll(() => synth.cleanUp());

  it("verifies the domain, signed with Easy DKIM, and outputs the DKIM records to publish", () => {
    const [, identity] = theOne(synth.template, "AWS::SES::EmailIdentity");
    expect(identity.Properties).toMatchObject({
      EmailIdentity: "acme.io",
      DkimAttributes: { SigningEnabled: true },
      DkimSigningAttributes: { NextSigningKeyLength: "RSA_2048_BIT" },
    });
    expect(Object.keys(synth.template.findOutputs("SenderDomainDkimRecords"))).toHaveLength(1);
  });

  it("refuses a senderDomain that is not the sender's", () => {
    const context: Record<string, unknown> = {
      ...cdkJsonContext(),
      sender: "approvals@acme.io",
      senderDomain: "other.io",
    };
    expect(() => readDeploymentContext({ tryGetContext: (key: string) => context[key] })).toThrow(
      DeploymentContextError,
    );
  });
});
