import { join } from "node:path";
import { Aws } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_BUCKET_NAME_PREFIX,
  DeploymentContextError,
  deploymentRegionsOf,
  readDeploymentContext,
} from "../../infra/aws/context.ts";
import { cdkJsonContext } from "./synth.ts";

/** A node whose context is cdk.json's, with `overrides` on top (`undefined` removes a key, like not passing it). */
const nodeWith = (overrides: Record<string, unknown> = {}) => {
  const context: Record<string, unknown> = { ...cdkJsonContext(), ...overrides };
  return { tryGetContext: (key: string) => context[key] };
};

const failureOf = (overrides: Record<string, unknown>): DeploymentContextError => {
  try {
    readDeploymentContext(nodeWith(overrides));
  } catch (error) {
    if (error instanceof DeploymentContextError) return error;
    throw error;
  }
  throw new Error("the context was accepted");
};

describe("deployment context", () => {
  it("accepts cdk.json's defaults as they are", () => {
    const context = readDeploymentContext(nodeWith());

    expect(context).toMatchObject({
      sender: "approvals@example.com",
      sesSandbox: false,
    });
    expect(context.subnetId).toBeUndefined();
    expect(context.portalDomain).toBeUndefined();
  });

  it("reads lists and flags from the command line's strings as well as from JSON", () => {
    const fromCli = readDeploymentContext(
      nodeWith({
        securityGroupIds: "sg-0abc1234,sg-0def5678",
        sesSandbox: "true",
      }),
    );
    const fromJson = readDeploymentContext(
      nodeWith({
        securityGroupIds: ["sg-0abc1234", "sg-0def5678"],
        sesSandbox: true,
      }),
    );

    expect(fromCli).toEqual(fromJson);
    expect(fromCli.securityGroupIds).toEqual(["sg-0abc1234", "sg-0def5678"]);
  });

  it("names a missing key and says how to pass it", () => {
    const error = failureOf({ sender: undefined });

    expect(error.message).toContain("sender is not set (pass -c sender=");
  });

  it("names every malformed key at once", () => {
    const error = failureOf({
      sender: "not-an-address",
      imageIds: { "ubuntu-24.04": { arm64: "ubuntu" } },
      subnetId: "my-subnet",
    });

    expect(error.message).toMatch(/sender must be an email address/);
    expect(error.message).toMatch(
      /imageIds\.ubuntu-24\.04\.arm64 must be an AMI id .* or an SSM parameter reference/,
    );
    expect(error.message).toMatch(/subnetId must be a subnet id/);
  });

  it("reads image overrides as JSON from the command line as well as from cdk.json", () => {
    const overrides = {
      "ubuntu-24.04": { x86_64: "ami-0123456789abcdef0", arm64: "resolve:ssm:/golden/ubuntu-arm64" },
    };

    expect(readDeploymentContext(nodeWith({ imageIds: JSON.stringify(overrides) })).imageIds).toEqual(
      overrides,
    );
    expect(readDeploymentContext(nodeWith({ imageIds: overrides })).imageIds).toEqual(overrides);
    expect(readDeploymentContext(nodeWith()).imageIds).toBeUndefined();
  });

  it.each([
    ["text that is not JSON", "ami-0123456789abcdef0", /imageIds must be JSON like/],
    [
      "an operating system not offered",
      { "rhel-9": {} },
      /imageIds names an unknown operating system rhel-9/,
    ],
    [
      "an architecture the OS does not run on",
      { "windows-server-2022": { arm64: "ami-0123456789abcdef0" } },
      /imageIds\.windows-server-2022\.arm64 cannot be set: windows-server-2022 runs only on x86_64/,
    ],
  ])("refuses image overrides holding %s, naming the key", (_, imageIds, message) => {
    expect(failureOf({ imageIds }).message).toMatch(message);
  });

  it("wants a custom portal domain and its certificate together", () => {
    const error = failureOf({ portalDomain: "approvals.example.com" });

    expect(error.message).toMatch(
      /portalCertificateArn is required when portalDomain or portalCertificateArn is set/,
    );
  });

  it("wants the certificate in us-east-1, where CloudFront reads it", () => {
    const error = failureOf({
      portalDomain: "approvals.example.com",
      portalCertificateArn:
        "arn:aws:acm:eu-west-1:123456789012:certificate/0f6b4a3c-1111-2222-3333-444455556666",
    });

    expect(error.message).toMatch(/portalCertificateArn must be the ARN of an ACM certificate in us-east-1/);
  });

  it("refuses a flag that is not true or false, and an approval window out of range", () => {
    const error = failureOf({ sesSandbox: "yes", approvalTtlSeconds: "60" });

    expect(error.message).toMatch(/sesSandbox must be true or false/);
    expect(error.message).toMatch(/approvalTtlSeconds must be at least 300 seconds/);
  });

  it("reads publishers as account ids and role ARNs, and has none by default", () => {
    const publishers = "111122223333, arn:aws:iam::444455556666:role/ci-publisher";

    expect(readDeploymentContext(nodeWith({ publishers })).publishers).toEqual([
      { principal: "111122223333" },
      { principal: "arn:aws:iam::444455556666:role/ci-publisher" },
    ]);
    expect(readDeploymentContext(nodeWith()).publishers).toEqual([]);
    expect(failureOf({ publishers: "111122223333,ci-user" }).message).toMatch(
      /publishers must be comma-separated account ids \(123456789012\) or IAM role ARNs/,
    );
    expect(failureOf({ publishers: "arn:aws:iam::444455556666:user/ana" }).message).toMatch(
      /publishers must/,
    );
  });

  it("reads a publisher bound to a source of its own as SOURCE=PRINCIPAL, from the command line as from JSON", () => {
    const fromCli = readDeploymentContext(
      nodeWith({ publishers: "acme.ci=arn:aws:iam::111122223333:role/ci, billing/jobs=444455556666" }),
    ).publishers;

    expect(fromCli).toEqual([
      { source: "acme.ci", principal: "arn:aws:iam::111122223333:role/ci" },
      { source: "billing/jobs", principal: "444455556666" },
    ]);
    expect(
      readDeploymentContext(
        nodeWith({ publishers: ["acme.ci=arn:aws:iam::111122223333:role/ci", "billing/jobs=444455556666"] }),
      ).publishers,
    ).toEqual(fromCli);
    // A role name may hold `=`: an entry that starts as an ARN is a principal alone.
    expect(
      readDeploymentContext(nodeWith({ publishers: "arn:aws:iam::111122223333:role/team=ci" })).publishers,
    ).toEqual([{ principal: "arn:aws:iam::111122223333:role/team=ci" }]);
  });

  it.each([
    [
      "the flow's own source",
      "approvals.intake=111122223333",
      /publishers binds approvals\.intake, a source of the flow's own/,
    ],
    [
      "an AWS source",
      "aws.ec2=111122223333",
      /publishers binds aws\.ec2, a source of the flow's own \(approvals\.\*\) or of AWS/,
    ],
    [
      "a source with a space",
      "acme ci=111122223333",
      /publishers binds acme ci, which is not an event source/,
    ],
    ["a principal that is neither", "acme.ci=ci-user", /publishers must be comma-separated account ids/],
  ])("refuses a publisher bound to %s, naming publishers", (_, publishers, message) => {
    expect(failureOf({ publishers }).message).toMatch(message);
  });

  it("reads an identity provider as JSON from the command line as well as from cdk.json, and has none by default", () => {
    const saml = {
      type: "saml",
      name: "Corporate",
      metadataUrl: "https://login.example.com/federationmetadata.xml",
      trustEmails: true,
    };

    expect(
      readDeploymentContext(nodeWith({ identityProvider: JSON.stringify(saml) })).identityProvider,
    ).toEqual(saml);
    expect(readDeploymentContext(nodeWith({ identityProvider: saml })).identityProvider).toEqual(saml);
    expect(readDeploymentContext(nodeWith()).identityProvider).toBeUndefined();
  });

  it.each([
    ["text that is not JSON", "saml", /identityProvider must be JSON like/],
    [
      "an unknown type",
      { type: "ldap", name: "Corporate" },
      /identityProvider\.type must have a type of "saml" or "oidc"/,
    ],
    [
      "a SAML metadata URL that is not https",
      {
        type: "saml",
        name: "Corporate",
        metadataUrl: "http://login.example.com/metadata",
        trustEmails: true,
      },
      /identityProvider\.metadataUrl must be the https URL of the SAML metadata/,
    ],
    [
      "a name Cognito refuses",
      {
        type: "saml",
        name: "Corp_IdP",
        metadataUrl: "https://login.example.com/metadata",
        trustEmails: true,
      },
      /identityProvider\.name must be 3 to 32 letters, digits, dots or hyphens/,
    ],
    [
      "an OIDC client secret that is not a Secrets Manager ARN",
      {
        type: "oidc",
        name: "Corporate",
        issuerUrl: "https://login.example.com",
        clientId: "portal",
        clientSecretArn: "the-secret",
      },
      /identityProvider\.clientSecretArn must be the ARN of the Secrets Manager secret/,
    ],
    [
      "an OIDC provider without its client",
      {
        type: "oidc",
        name: "Corporate",
        issuerUrl: "https://login.example.com",
        clientSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:oidc-AbCdEf",
      },
      /identityProvider\.clientId must be the client id registered with the provider/,
    ],
    [
      "a SAML provider nobody said whether to trust the addresses of",
      { type: "saml", name: "Corporate", metadataUrl: "https://login.example.com/metadata" },
      /identityProvider\.trustEmails must be true, or emailVerifiedAttribute set/,
    ],
    [
      "a trustEmails that is not a flag",
      {
        type: "saml",
        name: "Corporate",
        metadataUrl: "https://login.example.com/metadata",
        trustEmails: "yes",
      },
      /identityProvider\.trustEmails must be true or false/,
    ],
  ])("refuses an identity provider holding %s, naming the field", (_, identityProvider, message) => {
    expect(failureOf({ identityProvider }).message).toMatch(message);
  });

  it("takes a SAML provider's per-user verified attribute instead of trusting all its addresses", () => {
    const saml = {
      type: "saml",
      name: "Corporate",
      metadataUrl: "https://login.example.com/metadata",
      emailVerifiedAttribute: "urn:corp:email_verified",
    };

    expect(readDeploymentContext(nodeWith({ identityProvider: saml })).identityProvider).toEqual(saml);
  });

  it("reads whether link decisions require sign-in as a flag, off by default", () => {
    expect(readDeploymentContext(nodeWith()).decisionsRequireSignIn).toBe(false);
    expect(readDeploymentContext(nodeWith({ decisionsRequireSignIn: "true" })).decisionsRequireSignIn).toBe(
      true,
    );
    expect(failureOf({ decisionsRequireSignIn: "on" }).message).toMatch(
      /decisionsRequireSignIn must be true or false/,
    );
  });
  it("reads the approval policies from approvalPolicies, relative to the repository, and stops synth on a bad file", () => {
    expect(readDeploymentContext(nodeWith()).approvalPolicies).toBe(
      join(import.meta.dirname, "..", "..", "policies", "approval-policies.json"),
    );
    expect(
      readDeploymentContext(nodeWith({ approvalPolicies: "policies/examples/ec2-by-size.json" }))
        .approvalPolicies,
    ).toBe(join(import.meta.dirname, "..", "..", "policies", "examples", "ec2-by-size.json"));
    // A policy fixture is JSON, but no policy file.
    const fixture = join(import.meta.dirname, "..", "..", "policies", "tests", "default-one-approver.json");

    expect(failureOf({ approvalPolicies: fixture }).message).toMatch(
      `Invalid approval policies in ${fixture}: policies is required`,
    );
  });

  describe("regions, bucket names and the DB network", () => {
    it("allows the stack's own region only, as the default, when no regions are set", () => {
      const context = readDeploymentContext(nodeWith());

      expect(context.allowedRegions).toBeUndefined();
      expect(deploymentRegionsOf(context, "eu-west-1")).toEqual({
        allowed: ["eu-west-1"],
        defaultRegion: "eu-west-1",
      });
      // An environment-agnostic stack: the region is CloudFormation's, resolved at deploy.
      expect(deploymentRegionsOf(context, Aws.REGION)).toEqual({
        allowed: [Aws.REGION],
        defaultRegion: Aws.REGION,
      });
    });

    it("reads the allowed regions from the command line as from JSON, the stack's region the default among them", () => {
      const fromCli = readDeploymentContext(nodeWith({ allowedRegions: "us-east-1, eu-west-1" }));
      const fromJson = readDeploymentContext(nodeWith({ allowedRegions: ["us-east-1", "eu-west-1"] }));

      expect(fromCli.allowedRegions).toEqual(["us-east-1", "eu-west-1"]);
      expect(fromJson.allowedRegions).toEqual(fromCli.allowedRegions);
      expect(deploymentRegionsOf(fromCli, "eu-west-1")).toEqual({
        allowed: ["us-east-1", "eu-west-1"],
        defaultRegion: "eu-west-1",
      });
      expect(
        deploymentRegionsOf(
          readDeploymentContext(
            nodeWith({ allowedRegions: "us-east-1,eu-west-1", defaultRegion: "us-east-1" }),
          ),
          "eu-west-1",
        ).defaultRegion,
      ).toBe("us-east-1");
    });

    it.each([
      [
        "a region code that is none",
        { allowedRegions: "us-east-1,Frankfurt" },
        /allowedRegions must be an AWS region code/,
      ],
      [
        "a region named twice",
        { allowedRegions: "eu-west-1,eu-west-1" },
        /allowedRegions must not name a region twice/,
      ],
      [
        "a default region not allowed",
        { allowedRegions: "us-east-1,eu-west-1", defaultRegion: "ap-northeast-1" },
        /defaultRegion must be one of allowedRegions \(us-east-1, eu-west-1\)/,
      ],
      [
        "a default region without allowed regions",
        { defaultRegion: "eu-west-1" },
        /defaultRegion needs allowedRegions/,
      ],
    ])("refuses %s, naming the key", (_, overrides, message) => {
      expect(failureOf(overrides).message).toMatch(message);
    });

    it("refuses to default to a stack region the allowed regions leave out, or one it cannot know", () => {
      const context = readDeploymentContext(nodeWith({ allowedRegions: "us-east-1,eu-west-1" }));

      expect(() => deploymentRegionsOf(context, "ap-northeast-1")).toThrow(
        /defaultRegion is not set, and the stack's region ap-northeast-1 is not among allowedRegions \(us-east-1, eu-west-1\)/,
      );
      expect(() => deploymentRegionsOf(context, Aws.REGION)).toThrow(DeploymentContextError);
      expect(() => deploymentRegionsOf(context, Aws.REGION)).toThrow(
        /set defaultRegion to one of allowedRegions/,
      );
    });

    it("prefixes bucket names with approvals- unless told otherwise, and refuses a prefix no bucket name could start with", () => {
      expect(readDeploymentContext(nodeWith()).bucketNamePrefix).toBe(DEFAULT_BUCKET_NAME_PREFIX);
      expect(DEFAULT_BUCKET_NAME_PREFIX).toBe("approvals-");
      expect(readDeploymentContext(nodeWith({ bucketNamePrefix: "acme-data." })).bucketNamePrefix).toBe(
        "acme-data.",
      );
      expect(failureOf({ bucketNamePrefix: "Acme_" }).message).toMatch(
        /bucketNamePrefix must be 2 to 40 lowercase letters, digits, periods or hyphens/,
      );
      expect(failureOf({ bucketNamePrefix: "acme..data" }).message).toMatch(
        /bucketNamePrefix must not hold two periods in a row/,
      );
      expect(failureOf({ bucketNamePrefix: "xn--acme" }).message).toMatch(
        /bucketNamePrefix must not begin with xn--, sthree-, amzn-s3-demo-/,
      );
    });

    it("reads the DB subnet group and security groups, and has neither by default", () => {
      const context = readDeploymentContext(
        nodeWith({ dbSubnetGroupName: "private-dbs", dbSecurityGroupIds: "sg-0abc1234, sg-0def5678" }),
      );

      expect(context).toMatchObject({
        dbSubnetGroupName: "private-dbs",
        dbSecurityGroupIds: ["sg-0abc1234", "sg-0def5678"],
      });
      expect(readDeploymentContext(nodeWith())).toMatchObject({
        dbSubnetGroupName: undefined,
        dbSecurityGroupIds: undefined,
      });
      const error = failureOf({ dbSubnetGroupName: "Private DBs", dbSecurityGroupIds: "default" });
      expect(error.message).toMatch(/dbSubnetGroupName must be a DB subnet group name/);
      expect(error.message).toMatch(/dbSecurityGroupIds must be comma-separated VPC security group ids/);
    });
  });
});
