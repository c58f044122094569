import { Match } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_BUS } from "../../events/contract.ts";
import { RDS_ENGINES, RDS_INSTANCE_CLASSES } from "../../events/rds-resource.ts";
import { DeploymentContextError } from "../../infra/aws/context.ts";
import { REQUIRED_LAUNCH_TAG } from "../../infra/aws/ec2-permissions.ts";
import { defaultBusSubscriptionsOf, forwardingPlanOf } from "../../infra/aws/forwarding.ts";
import { S3_CREATE_ACTIONS, S3_RELEASE_ACTIONS } from "../../infra/aws/s3-permissions.ts";
import { CREATION_TAG_KEYS } from "../../services/rds-launcher/domain.ts";
import { services } from "../../services/registry.ts";
import { DEPLOYMENT_TAG_KEY } from "../../services/shared/deployment-tag.ts";
import {
  type SynthesizedForwarding,
  type SynthesizedStack,
  synthesize,
  synthesizeForwarding,
} from "./synth.ts";

type Statement = {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** An ARN as the template builds it, each `Ref` written `<Name>`. */
const arnText = (arn: unknown): string => {
  if (typeof arn === "string") return arn;
  const [separator, parts] = (arn as { "Fn::Join": [string, unknown[]] })["Fn::Join"];
  return parts
    .map((part) => (typeof part === "string" ? part : `<${(part as { Ref: string }).Ref}>`))
    .join(separator);
};

/** Every function of the stack by `service/function id`, with the statements of its role's policies. */
const statementsByFunction = (synth: SynthesizedStack): Map<string, Statement[]> => {
  const policies = Object.values(synth.template.findResources("AWS::IAM::Policy"));
  return new Map(
    synth.stack.services.flatMap((service) =>
      [...service.functions].map(([id, fn]) => {
        const role = JSON.stringify({ Ref: synth.logicalIdOf(fn.role) });
        const statements = policies
          .filter((policy) => asList(policy.Properties.Roles).some((ref) => JSON.stringify(ref) === role))
          .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
        return [`${service.name}/${id}`, statements] as const;
      }),
    ),
  );
};

const actionsOf = (statements: readonly Statement[]) =>
  [...new Set(statements.flatMap((statement) => asList(statement.Action)))].sort();

const allowing = (statements: readonly Statement[], action: string) =>
  statements.filter((statement) => asList(statement.Action).includes(action));

const resourcesOf = (statements: readonly Statement[]) =>
  statements
    .flatMap((statement) => asList(statement.Resource))
    .map(arnText)
    .sort();

const EC2_RELEASE_HANDLERS = [
  "ec2-launcher/on-lease-changed",
  "ec2-launcher/on-release-requested",
  "ec2-launcher/on-release-check-due",
  "ec2-launcher/on-instance-state-change",
];
/** The name of the stack synth.ts makes: the deployment tag's value on what its launchers create. */
const STACK_NAME = "ApprovalsTest";
/** What makes an instance one this stack's launch tagged with its request: the only ones a release may touch. */
const LAUNCHED_FOR_A_REQUEST = {
  Null: { [`aws:ResourceTag/${REQUIRED_LAUNCH_TAG}`]: "false" },
  StringEquals: { [`aws:ResourceTag/${DEPLOYMENT_TAG_KEY}`]: STACK_NAME },
};

const CREATE_HANDLER = "rds-launcher/on-request-approved";
const READ_ONLY_RDS_HANDLERS = ["rds-launcher/on-db-instance-event", "rds-launcher/creation-sweeper"];
const BUCKET_HANDLER = "s3-launcher/on-request-approved";
const RDS_RELEASE_HANDLERS = [
  "rds-launcher/on-lease-changed",
  "rds-launcher/on-release-requested",
  "rds-launcher/on-release-check",
];
const BUCKET_RELEASE_HANDLERS = [
  "s3-launcher/on-lease-changed",
  "s3-launcher/on-release-requested",
  "s3-launcher/on-release-check",
];
const CREATED_FOR_A_REQUEST = {
  Null: { [`aws:ResourceTag/${CREATION_TAG_KEYS.requestId}`]: "false" },
  StringEquals: { [`aws:ResourceTag/${DEPLOYMENT_TAG_KEY}`]: STACK_NAME },
};

describe("the launchers' least privilege, from cdk.json's defaults", () => {
  let synth: SynthesizedStack;
  let byFunction: Map<string, Statement[]>;
  const of = (name: string): Statement[] => {
    const statements = byFunction.get(name);
    if (!statements) throw new Error(`no function ${name}`);
    return statements;
  };

  beforeAll(() => {
    synth = synthesize();
    byFunction = statementsByFunction(synth);
  });

  afterAll(() => synth.cleanUp());

  it("passes cdk-nag with no unacknowledged finding", () => {
    expect(synth.nagFindings).toEqual([]);
  });

  it("names the stack the launchers' deployment, which they tag what they create with", () => {
    expect(synth.stack.stackName).toBe(STACK_NAME);
    for (const launcher of ["ec2-launcher", "rds-launcher", "s3-launcher"])
      synth.template.hasResourceProperties("AWS::Lambda::Function", {
        Environment: {
          Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: launcher, DEPLOYMENT_NAME: STACK_NAME }),
        },
      });
  });

  it("launches only instances and volumes tagged with their request and this stack's name", () => {
    const launches = allowing(of("ec2-launcher/on-request-approved"), "ec2:RunInstances").filter(
      (statement) => resourcesOf([statement]).some((arn) => /:(instance|volume)\/\*$/.test(arn)),
    );

    expect(launches).toHaveLength(2);
    for (const statement of launches)
      expect(statement.Condition?.StringEquals).toMatchObject({
        [`aws:RequestTag/${DEPLOYMENT_TAG_KEY}`]: STACK_NAME,
      });
    expect(launches.map((statement) => statement.Condition?.["ForAllValues:StringEquals"])).toEqual([
      { "aws:TagKeys": ["RequestId", "Requester", "Approver", "Name", DEPLOYMENT_TAG_KEY] },
      { "aws:TagKeys": ["RequestId", "Requester", "Approver", "Name", DEPLOYMENT_TAG_KEY] },
    ]);
  });

  it("lets the EC2 release handlers stop, terminate and tag ExpiresAt only instances this stack launched for a request, and describe them", () => {
    for (const name of EC2_RELEASE_HANDLERS) {
      const statements = of(name);
      const ec2Statements = statements.filter((statement) =>
        asList(statement.Action).some((action) => action.startsWith("ec2:")),
      );

      expect(actionsOf(ec2Statements), name).toEqual([
        "ec2:CreateTags",
        "ec2:DescribeInstances",
        "ec2:StopInstances",
        "ec2:TerminateInstances",
      ]);
      const releasing = allowing(statements, "ec2:TerminateInstances");
      expect(actionsOf(releasing), name).toEqual(["ec2:StopInstances", "ec2:TerminateInstances"]);
      expect(resourcesOf(releasing), name).toEqual([
        "arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*",
      ]);
      expect(
        releasing.map((statement) => statement.Condition),
        name,
      ).toEqual([LAUNCHED_FOR_A_REQUEST]);
      const tagging = allowing(statements, "ec2:CreateTags");
      expect(resourcesOf(tagging), name).toEqual([
        "arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*",
      ]);
      expect(
        tagging.map((statement) => statement.Condition),
        name,
      ).toEqual([
        { ...LAUNCHED_FOR_A_REQUEST, "ForAllValues:StringEquals": { "aws:TagKeys": ["ExpiresAt"] } },
      ]);
    }
  });

  it("lets no other handler stop, terminate or tag instances after their launch", () => {
    for (const [name, statements] of byFunction) {
      if (EC2_RELEASE_HANDLERS.includes(name)) continue;
      expect(
        actionsOf(statements).filter((action) => /^ec2:(Stop|Terminate|Start)Instances$/.test(action)),
        name,
      ).toEqual([]);
      for (const tagging of allowing(statements, "ec2:CreateTags"))
        expect(tagging.Condition, name).toEqual({ StringEquals: { "ec2:CreateAction": "RunInstances" } });
    }
  });

  it("creates DB instances only with an allowed engine and class, encrypted, private, an RDS-managed password and the request's tag", () => {
    const onInstances = allowing(of(CREATE_HANDLER), "rds:CreateDBInstance").filter((statement) =>
      resourcesOf([statement]).some((arn) => arn.includes(":db:")),
    );

    expect(onInstances).toHaveLength(1);
    expect(resourcesOf(onInstances)).toEqual([
      "arn:<AWS::Partition>:rds:<AWS::Region>:<AWS::AccountId>:db:*",
    ]);
    expect(onInstances[0]?.Condition).toEqual({
      StringEquals: {
        [`aws:RequestTag/${DEPLOYMENT_TAG_KEY}`]: STACK_NAME,
        "rds:DatabaseEngine": [...RDS_ENGINES],
        "rds:DatabaseClass": [...RDS_INSTANCE_CLASSES],
      },
      Bool: {
        "rds:StorageEncrypted": "true",
        "rds:PubliclyAccessible": "false",
        "rds:ManageMasterUserPassword": "true",
      },
      Null: { [`aws:RequestTag/${CREATION_TAG_KEYS.requestId}`]: "false" },
      "ForAllValues:StringEquals": { "aws:TagKeys": Object.values(CREATION_TAG_KEYS) },
    });
    expect(RDS_ENGINES).toEqual(["postgres", "mysql"]);
  });

  it("lets CreateDBInstance use only the default subnet group and the engines' default groups besides", () => {
    const others = allowing(of(CREATE_HANDLER), "rds:CreateDBInstance").filter(
      (statement) => !resourcesOf([statement]).some((arn) => arn.includes(":db:")),
    );

    expect(resourcesOf(others)).toEqual(
      [
        "arn:<AWS::Partition>:rds:<AWS::Region>:<AWS::AccountId>:og:default:*",
        "arn:<AWS::Partition>:rds:<AWS::Region>:<AWS::AccountId>:pg:default.*",
        "arn:<AWS::Partition>:rds:<AWS::Region>:<AWS::AccountId>:subgrp:default",
      ].sort(),
    );
  });

  it("tags only with the launcher's keys, the RequestId and this stack's name, and lets RDS keep the password in rds! secrets only", () => {
    const statements = of(CREATE_HANDLER);

    expect(allowing(statements, "rds:AddTagsToResource").map((statement) => statement.Condition)).toEqual([
      {
        Null: { [`aws:RequestTag/${CREATION_TAG_KEYS.requestId}`]: "false" },
        "ForAllValues:StringEquals": { "aws:TagKeys": Object.values(CREATION_TAG_KEYS) },
        StringEquals: { [`aws:RequestTag/${DEPLOYMENT_TAG_KEY}`]: STACK_NAME },
      },
    ]);
    expect(Object.values(CREATION_TAG_KEYS)).toContain(DEPLOYMENT_TAG_KEY);
    const secrets = allowing(statements, "secretsmanager:CreateSecret");
    expect(actionsOf(secrets)).toEqual(["secretsmanager:CreateSecret", "secretsmanager:TagResource"]);
    expect(resourcesOf(secrets)).toEqual([
      "arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:rds!*",
    ]);
    const keys = allowing(statements, "kms:DescribeKey");
    expect(actionsOf(keys)).toEqual(["kms:DescribeKey"]);
    expect(keys[0]?.Condition?.["ForAnyValue:StringEquals"]).toEqual({
      "kms:ResourceAliases": ["alias/aws/rds", "alias/aws/secretsmanager"],
    });
  });

  it("gives the handlers that only look DB instances up DescribeDBInstances and nothing that creates or tags", () => {
    for (const name of READ_ONLY_RDS_HANDLERS) {
      const statements = of(name);
      const rdsActions = actionsOf(statements).filter((action) => /^(rds|secretsmanager|kms):/.test(action));

      expect(rdsActions, name).toEqual(["rds:DescribeDBInstances"]);
      expect(resourcesOf(allowing(statements, "rds:DescribeDBInstances")), name).toEqual([
        "arn:<AWS::Partition>:rds:<AWS::Region>:<AWS::AccountId>:db:*",
      ]);
    }
    expect(actionsOf(of(CREATE_HANDLER)).filter((action) => action.startsWith("rds:"))).toEqual([
      "rds:AddTagsToResource",
      "rds:CreateDBInstance",
      "rds:DescribeDBInstances",
    ]);
  });

  it("lets the S3 launcher do exactly what setting up a bucket takes, on buckets named with the prefix only", () => {
    const statements = of(BUCKET_HANDLER);
    const s3Statements = statements.filter((statement) =>
      asList(statement.Action).some((action) => action.startsWith("s3:")),
    );

    expect(actionsOf(s3Statements)).toEqual([...S3_CREATE_ACTIONS].sort());
    expect(new Set(resourcesOf(s3Statements))).toEqual(new Set(["arn:<AWS::Partition>:s3:::approvals-*"]));
    expect(allowing(statements, "s3:CreateBucket")[0]?.Condition).toEqual({
      StringEqualsIfExists: { "s3:LocationConstraint": [{ Ref: "AWS::Region" }] },
      StringEquals: { "aws:RequestedRegion": [{ Ref: "AWS::Region" }] },
    });
  });

  it("lets the RDS release handlers delete, snapshot and tag only DB instances this stack created for a request, and tag them ExpiresAt only", () => {
    for (const name of RDS_RELEASE_HANDLERS) {
      const statements = of(name);
      const onInstances = (action: string) =>
        allowing(statements, action).filter((statement) =>
          resourcesOf([statement]).some((arn) => arn.includes(":db:")),
        );

      expect(
        actionsOf(statements).filter((action) => action.startsWith("rds:")),
        name,
      ).toEqual([
        "rds:AddTagsToResource",
        "rds:CreateDBSnapshot",
        "rds:DeleteDBInstance",
        "rds:DescribeDBInstances",
      ]);
      expect(
        onInstances("rds:DeleteDBInstance").map((statement) => statement.Condition),
        name,
      ).toEqual([CREATED_FOR_A_REQUEST]);
      expect(
        onInstances("rds:AddTagsToResource").map((statement) => statement.Condition),
        name,
      ).toEqual([
        { ...CREATED_FOR_A_REQUEST, "ForAllValues:StringEquals": { "aws:TagKeys": ["ExpiresAt"] } },
      ]);
      const onSnapshots = allowing(statements, "rds:CreateDBSnapshot").filter(
        (statement) => !resourcesOf([statement]).some((arn) => arn.includes(":db:")),
      );
      expect(resourcesOf(onSnapshots), name).toEqual([
        "arn:<AWS::Partition>:rds:<AWS::Region>:<AWS::AccountId>:snapshot:*-final-*",
      ]);
    }
  });

  it("never lets any function delete a DB instance untagged by a request of this stack", () => {
    const deletions = [...byFunction.values()].flatMap((statements) =>
      allowing(statements, "rds:DeleteDBInstance"),
    );

    expect(deletions.length).toBeGreaterThan(0);
    for (const statement of deletions) expect(statement.Condition).toMatchObject(CREATED_FOR_A_REQUEST);
  });

  it("lets the S3 release handlers tag, list and delete buckets named with the prefix only, and no handler touch objects", () => {
    for (const name of BUCKET_RELEASE_HANDLERS) {
      const s3Statements = of(name).filter((statement) =>
        asList(statement.Action).some((action) => action.startsWith("s3:")),
      );

      expect(actionsOf(s3Statements), name).toEqual([...S3_RELEASE_ACTIONS].sort());
      expect(new Set(resourcesOf(s3Statements)), name).toEqual(
        new Set(["arn:<AWS::Partition>:s3:::approvals-*"]),
      );
    }
    expect(allowing(of(BUCKET_HANDLER), "s3:DeleteBucket")).toEqual([]);
    for (const statements of byFunction.values()) {
      expect(
        resourcesOf(
          statements.filter((statement) =>
            asList(statement.Action).some((action) => action.startsWith("s3:")),
          ),
        ).filter((arn) => arn.includes("/")),
      ).toEqual([]);
    }
  });

  it("lets only the launchers touch RDS, S3 buckets and the managed password's secret, and only the services that estimate read prices", () => {
    const estimators = new Set(services.filter((service) => service.needs.pricing).map(({ name }) => name));
    expect(estimators.size).toBeGreaterThan(0);
    for (const [name, statements] of byFunction) {
      const actions = actionsOf(statements);
      const service = services.find(({ name: serviceName }) => name.startsWith(`${serviceName}/`))?.name;
      if (service !== "rds-launcher")
        expect(
          actions.filter((action) => /^(rds|kms):|^secretsmanager:(Create|Tag)/.test(action)),
          name,
        ).toEqual([]);
      if (service !== "s3-launcher")
        expect(
          actions.filter((action) => action.startsWith("s3:")),
          name,
        ).toEqual([]);
      const pricing = allowing(statements, "pricing:GetProducts");
      expect(pricing.length > 0, name).toBe(service !== undefined && estimators.has(service));
      for (const statement of pricing) expect(statement.Resource).toBe("*");
    }
  });

  it("tells intake the bucket-name prefix and the stack's region as the only and default one", () => {
    synth.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: "intake",
          BUCKET_NAME_PREFIX: "approvals-",
          ALLOWED_REGIONS: { Ref: "AWS::Region" },
          DEFAULT_REGION: { Ref: "AWS::Region" },
        }),
      },
    });
  });
});

describe("the launchers with a deployment's regions, bucket prefix and DB network", () => {
  let synth: SynthesizedStack;
  let byFunction: Map<string, Statement[]>;
  const regions = ["us-east-1", "eu-west-1"];

  beforeAll(() => {
    synth = synthesize(
      {
        allowedRegions: regions.join(","),
        bucketNamePrefix: "acme-",
        dbSubnetGroupName: "private-dbs",
        dbSecurityGroupIds: "sg-0abc1234",
      },
      undefined,
      "eu-west-1",
    );
    byFunction = statementsByFunction(synth);
  });

  afterAll(() => synth.cleanUp());

  it("passes cdk-nag with no unacknowledged finding", () => {
    expect(synth.nagFindings).toEqual([]);
  });

  it("creates and looks up DB instances in every allowed region, in the deployment's subnet group", () => {
    const statements = byFunction.get(CREATE_HANDLER) ?? [];
    // The stack's region is known, so CDK writes its partition (`@aws-cdk/core:enablePartitionLiterals`).
    const arn = (region: string, resource: string) => `arn:aws:rds:${region}:<AWS::AccountId>:${resource}`;

    expect(resourcesOf(allowing(statements, "rds:CreateDBInstance"))).toEqual(
      regions
        .flatMap((region) =>
          ["db:*", "subgrp:private-dbs", "pg:default.*", "og:default:*"].map((r) => arn(region, r)),
        )
        .sort(),
    );
    expect(
      resourcesOf(allowing(byFunction.get(READ_ONLY_RDS_HANDLERS[0] ?? "") ?? [], "rds:DescribeDBInstances")),
    ).toEqual(regions.map((region) => arn(region, "db:*")).sort());
  });

  it("launches EC2 instances in every allowed region", () => {
    const launches = allowing(byFunction.get("ec2-launcher/on-request-approved") ?? [], "ec2:RunInstances");
    const instances = resourcesOf(launches).filter((arn) => arn.includes(":instance/"));

    expect(instances).toEqual(
      regions.map((region) => `arn:aws:ec2:${region}:<AWS::AccountId>:instance/*`).sort(),
    );
  });

  it("releases and tags EC2 instances in every allowed region", () => {
    for (const name of EC2_RELEASE_HANDLERS) {
      const statements = byFunction.get(name) ?? [];
      const instances = regions.map((region) => `arn:aws:ec2:${region}:<AWS::AccountId>:instance/*`).sort();

      expect(resourcesOf(allowing(statements, "ec2:TerminateInstances")), name).toEqual(instances);
      expect(resourcesOf(allowing(statements, "ec2:CreateTags")), name).toEqual(instances);
    }
  });

  it("creates buckets named with the deployment's prefix, in the allowed regions only", () => {
    const statements = byFunction.get(BUCKET_HANDLER) ?? [];

    expect(
      new Set(resourcesOf(statements.filter((s) => actionsOf([s]).some((a) => a.startsWith("s3:"))))),
    ).toEqual(new Set(["arn:aws:s3:::acme-*"]));
    expect(allowing(statements, "s3:CreateBucket")[0]?.Condition).toEqual({
      StringEqualsIfExists: { "s3:LocationConstraint": regions },
      StringEquals: { "aws:RequestedRegion": regions },
    });
  });

  it("gives intake the allowed regions, the stack's as default, and the prefix; the RDS launcher its network", () => {
    synth.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: "intake",
          ALLOWED_REGIONS: regions.join(","),
          DEFAULT_REGION: "eu-west-1",
          BUCKET_NAME_PREFIX: "acme-",
        }),
      },
    });
    synth.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: "rds-launcher",
          DB_SUBNET_GROUP_NAME: "private-dbs",
          DB_SECURITY_GROUP_IDS: "sg-0abc1234",
        }),
      },
    });
  });
});

describe("forwarding AWS's events of the other allowed regions to the stack's", () => {
  let forwarding: SynthesizedForwarding;
  const subscriptions = defaultBusSubscriptionsOf(services);
  const homeBus = "arn:aws:events:us-east-1:123456789012:event-bus/default";

  beforeAll(() => {
    forwarding = synthesizeForwarding({
      homeRegion: "us-east-1",
      otherRegions: ["eu-west-1", "ap-northeast-1"],
    });
  });

  afterAll(() => forwarding.cleanUp());

  it("forwards the aws.ec2 and aws.rds events the launchers consume, and no other", () => {
    const sources = new Set(subscriptions.flatMap((subscription) => subscription.pattern.source ?? []));

    expect(sources).toEqual(new Set(["aws.ec2", "aws.rds"]));
    expect(subscriptions.every((subscription) => subscription.eventBusName === DEFAULT_BUS)).toBe(true);
  });

  it("has one stack per other region, with a rule per subscription on that region's default bus to the home default bus", () => {
    expect(forwarding.stacks.map(({ stack }) => stack.region)).toEqual(["eu-west-1", "ap-northeast-1"]);
    for (const { stack, template } of forwarding.stacks) {
      const rules = Object.values(template.findResources("AWS::Events::Rule"));
      expect(rules, stack.region).toHaveLength(subscriptions.length);
      for (const subscription of subscriptions) {
        const matching = rules.filter((rule) => {
          try {
            expect(rule.Properties.EventPattern).toEqual(subscription.pattern);
            return true;
          } catch {
            return false;
          }
        });
        expect(matching, subscription.name).toHaveLength(1);
        expect(matching[0]?.Properties).toMatchObject({
          EventBusName: DEFAULT_BUS,
          Targets: [
            {
              Arn: {
                "Fn::Join": [
                  "",
                  ["arn:", { Ref: "AWS::Partition" }, ":events:us-east-1:123456789012:event-bus/default"],
                ],
              },
              RoleArn: expect.anything(),
              DeadLetterConfig: { Arn: expect.anything() },
            },
          ],
        });
      }
    }
    expect(homeBus).toContain(":us-east-1:");
  });

  it("lets the forwarding role put events on the home default bus and nowhere else", () => {
    for (const { template } of forwarding.stacks) {
      const statements = Object.values(template.findResources("AWS::IAM::Policy")).flatMap(
        (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
      );
      const puts = allowing(statements, "events:PutEvents");
      expect(actionsOf(puts)).toEqual(["events:PutEvents"]);
      expect(resourcesOf(puts).map((arn) => arn.replace("<AWS::Partition>", "aws"))).toEqual([homeBus]);
    }
  });

  it("passes cdk-nag with no unacknowledged finding", () => {
    expect(forwarding.nagFindings).toEqual([]);
  });

  it("forwards from the allowed regions besides the stack's, and needs to know the stack's region only then", () => {
    expect(forwardingPlanOf(undefined, undefined)).toBeUndefined();
    expect(forwardingPlanOf(["eu-west-1"], "eu-west-1")).toBeUndefined();
    expect(forwardingPlanOf(["us-east-1", "eu-west-1"], "eu-west-1")).toEqual({
      homeRegion: "eu-west-1",
      otherRegions: ["us-east-1"],
    });
    expect(() => forwardingPlanOf(["us-east-1", "eu-west-1"], undefined)).toThrow(DeploymentContextError);
  });
});
