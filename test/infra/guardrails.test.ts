import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_IMAGE_OWNERS,
  DEFAULT_LAUNCHER_CONCURRENCY,
  DeploymentContextError,
  readDeploymentContext,
} from "../../infra/aws/context.ts";
import { cdkJsonContext, type SynthesizedStack, synthesize } from "./synth.ts";

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

/** The functions that create what requests ask for: one per launcher. */
const CREATORS = [
  "ec2-launcher/on-request-approved",
  "rds-launcher/on-request-approved",
  "s3-launcher/on-request-approved",
];

const guardrailsOf = (synth: SynthesizedStack) => {
  const policies = Object.values(synth.template.findResources("AWS::IAM::Policy"));
  const functionNamed = (name: string) => {
    const [service, id] = name.split("/") as [string, string];
    const fn = synth.stack.services.find((candidate) => candidate.name === service)?.functions.get(id);
    if (!fn) throw new Error(`no function ${name}`);
    return fn;
  };
  const statementsOf = (name: string): Statement[] => {
    const role = { Ref: synth.logicalIdOf(functionNamed(name).role) };
    return policies
      .filter((policy) =>
        asList(policy.Properties.Roles).some((each) => JSON.stringify(each) === JSON.stringify(role)),
      )
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  };
  /** The launcher's RunInstances statements on one kind of resource (`instance`, `image`, ...). */
  const runInstancesOn = (kind: string) =>
    statementsOf("ec2-launcher/on-request-approved").filter(
      (statement) =>
        asList(statement.Action).includes("ec2:RunInstances") &&
        asList(statement.Resource).some((resource) => arnText(resource).includes(`:${kind}/`)),
    );
  const resourcesOf = (statements: Statement[]) =>
    statements.flatMap((statement) => asList(statement.Resource)).map(arnText);
  /** Every resource of one kind the launcher may launch with. */
  const allowed = (kind: string) =>
    resourcesOf(runInstancesOn(kind))
      .filter((arn) => arn.includes(`:${kind}/`))
      .sort();
  const reservedConcurrency = () =>
    Object.fromEntries(
      synth.stack.services.flatMap((service) =>
        [...service.functions].map(([id, fn]) => {
          const properties = synth.template.findResources("AWS::Lambda::Function")[
            synth.logicalIdOf(fn.function)
          ]?.Properties as { ReservedConcurrentExecutions?: number };
          return [`${service.name}/${id}`, properties.ReservedConcurrentExecutions];
        }),
      ),
    );
  return { statementsOf, runInstancesOn, resourcesOf, allowed, reservedConcurrency };
};

describe("guardrails on launches, from cdk.json's defaults", () => {
  let synth: SynthesizedStack;
  let guardrails: ReturnType<typeof guardrailsOf>;

  beforeAll(() => {
    synth = synthesize();
    guardrails = guardrailsOf(synth);
  });

  afterAll(() => synth?.cleanUp());

  it("launches an instance only with IMDSv2 required (ec2:MetadataHttpTokens)", () => {
    const onInstances = guardrails.runInstancesOn("instance");

    expect(onInstances).toHaveLength(1);
    expect(onInstances[0]?.Condition?.StringEquals).toMatchObject({ "ec2:MetadataHttpTokens": "required" });
  });

  it("creates a volume only encrypted (ec2:Encrypted)", () => {
    const onVolumes = guardrails.runInstancesOn("volume");

    expect(onVolumes).toHaveLength(1);
    expect(onVolumes[0]?.Condition?.Bool).toEqual({ "ec2:Encrypted": "true" });
  });

  it("launches only images of Amazon and Canonical (ec2:Owner), and no image by ARN", () => {
    const onImages = guardrails.runInstancesOn("image");

    expect(DEFAULT_IMAGE_OWNERS).toEqual(["amazon", "099720109477"]);
    expect(onImages.map(({ Resource, Condition }) => ({ Resource: arnText(Resource), Condition }))).toEqual([
      {
        Resource: "arn:<AWS::Partition>:ec2:<AWS::Region>::image/*",
        Condition: { StringEquals: { "ec2:Owner": [...DEFAULT_IMAGE_OWNERS] } },
      },
    ]);
  });

  it("allows no security group when none is configured, so no launch can use the VPC's default one", () => {
    expect(cdkJsonContext().securityGroupIds).toBe("");

    expect(guardrails.allowed("security-group")).toEqual([]);
    expect(guardrails.allowed("subnet")).toEqual([
      "arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:subnet/*",
    ]);
  });

  it("caps each launcher's creating function at the default reserved concurrency, and no other function", () => {
    const reserved = Object.entries(guardrails.reservedConcurrency()).filter(
      ([, concurrency]) => concurrency !== undefined,
    );

    expect(Object.fromEntries(reserved)).toEqual(
      Object.fromEntries(CREATORS.map((name) => [name, DEFAULT_LAUNCHER_CONCURRENCY])),
    );
  });

  it("creates a DB instance only with encrypted storage, not publicly accessible (rds:StorageEncrypted, rds:PubliclyAccessible)", () => {
    const creating = guardrails
      .statementsOf("rds-launcher/on-request-approved")
      .filter((statement) => asList(statement.Action).includes("rds:CreateDBInstance"))
      .filter((statement) => guardrails.resourcesOf([statement]).some((arn) => arn.includes(":db:")));

    expect(creating.map((statement) => statement.Condition?.Bool)).toEqual([
      {
        "rds:StorageEncrypted": "true",
        "rds:PubliclyAccessible": "false",
        "rds:ManageMasterUserPassword": "true",
      },
    ]);
  });

  it("lets the S3 launcher block public access and set encryption on the buckets it creates", () => {
    const actions = guardrails
      .statementsOf("s3-launcher/on-request-approved")
      .flatMap((statement) => asList(statement.Action));

    expect(actions).toEqual(
      expect.arrayContaining(["s3:PutBucketPublicAccessBlock", "s3:PutEncryptionConfiguration"]),
    );
  });
});

describe("guardrails on launches, from a deployment's own lists", () => {
  let synth: SynthesizedStack;
  let guardrails: ReturnType<typeof guardrailsOf>;
  const imageArn = "arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0";

  beforeAll(() => {
    synth = synthesize({
      subnetId: "subnet-0abc1234",
      allowedSubnetIds: "subnet-0abc1234,subnet-0def5678",
      securityGroupIds: "sg-0abc1234",
      allowedImageOwners: "123456789012",
      allowedImageArns: imageArn,
      launcherConcurrency: "2",
    });
    guardrails = guardrailsOf(synth);
  });

  afterAll(() => synth?.cleanUp());

  it("launches only into the allowed subnets, with the configured security groups", () => {
    expect(guardrails.allowed("subnet")).toEqual([
      "arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:subnet/subnet-0abc1234",
      "arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:subnet/subnet-0def5678",
    ]);
    expect(guardrails.allowed("security-group")).toEqual([
      "arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:security-group/sg-0abc1234",
    ]);
  });

  it("tells intake and the EC2 launcher the allowed subnets, so a request for another fails clearly before EC2 refuses it", () => {
    const resources = synth.template.toJSON().Resources as Record<
      string,
      { Properties: { Environment?: { Variables?: Record<string, unknown> } } }
    >;
    const subnetsSeenBy = Object.fromEntries(
      synth.stack.services.flatMap((service) =>
        [...service.functions].map(([id, fn]) => [
          `${service.name}/${id}`,
          resources[synth.logicalIdOf(fn.function)]?.Properties.Environment?.Variables?.ALLOWED_SUBNET_IDS,
        ]),
      ),
    );

    const told = Object.entries(subnetsSeenBy).filter(([, subnets]) => subnets !== undefined);
    expect(new Set(told.map(([name]) => name.split("/")[0]))).toEqual(new Set(["intake", "ec2-launcher"]));
    for (const [name, subnets] of told) expect(subnets, name).toBe("subnet-0abc1234,subnet-0def5678");
  });

  it("launches images of the allowed owners only, and the allowed images by their exact ARN", () => {
    const onImages = guardrails.runInstancesOn("image");

    expect(
      onImages.map(({ Resource, Condition }) => ({ Resource: asList(Resource).map(arnText), Condition })),
    ).toEqual([
      {
        Resource: ["arn:<AWS::Partition>:ec2:<AWS::Region>::image/*"],
        Condition: { StringEquals: { "ec2:Owner": ["123456789012"] } },
      },
      { Resource: [imageArn], Condition: undefined },
    ]);
  });

  it("reserves the deployment's concurrency for each launcher's creating function", () => {
    const reserved = guardrails.reservedConcurrency();

    expect(CREATORS.map((name) => reserved[name])).toEqual([2, 2, 2]);
  });
});

describe("guardrail context", () => {
  const failureOf = (overrides: Record<string, unknown>): string => {
    const context: Record<string, unknown> = { ...cdkJsonContext(), ...overrides };
    try {
      readDeploymentContext({ tryGetContext: (key: string) => context[key] });
    } catch (error) {
      if (error instanceof DeploymentContextError) return error.message;
      throw error;
    }
    throw new Error("the context was accepted");
  };

  it.each([
    [
      "a subnet without the subnets allowed",
      { subnetId: "subnet-0abc1234", securityGroupIds: "sg-0abc1234" },
      /allowedSubnetIds is required when subnetId is set/,
    ],
    [
      "a subnet outside the subnets allowed",
      { subnetId: "subnet-0abc1234", allowedSubnetIds: "subnet-0def5678", securityGroupIds: "sg-0abc1234" },
      /allowedSubnetIds must include subnetId \(subnet-0abc1234\)/,
    ],
    [
      "a subnet without security groups, which would be the VPC's default group",
      { subnetId: "subnet-0abc1234", allowedSubnetIds: "subnet-0abc1234" },
      /securityGroupIds is required when subnetId is set: without it instances would get the VPC's default security group/,
    ],
    [
      "an image owner that is neither an alias nor an account",
      { allowedImageOwners: "canonical" },
      /allowedImageOwners must be comma-separated image owners/,
    ],
    [
      "an image by id instead of ARN",
      { allowedImageArns: "ami-0123456789abcdef0" },
      /allowedImageArns must be comma-separated image ARNs/,
    ],
    ["no concurrency at all", { launcherConcurrency: "0" }, /launcherConcurrency must be at least 1/],
    [
      "a concurrency that is not a number",
      { launcherConcurrency: "many" },
      /launcherConcurrency must be a number/,
    ],
  ])("refuses %s, naming the key", (_, overrides, message) => {
    expect(failureOf(overrides)).toMatch(message);
  });

  it("defaults to Amazon's and Canonical's images and five concurrent launches", () => {
    const context = readDeploymentContext({ tryGetContext: (key: string) => cdkJsonContext()[key] });

    expect(context.allowedImageOwners).toEqual(["amazon", "099720109477"]);
    expect(context.launcherConcurrency).toBe(5);
    expect(context.allowedSubnetIds).toBeUndefined();
    expect(context.allowedImageArns).toBeUndefined();
  });
});
