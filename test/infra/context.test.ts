import { describe, expect, it } from "vitest";
import { DeploymentContextError, readDeploymentContext } from "../../infra/aws/context.ts";
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
      approvers: ["approver@example.com"],
      sender: "approvals@example.com",
      sesSandbox: false,
    });
    expect(context.subnetId).toBeUndefined();
    expect(context.portalDomain).toBeUndefined();
  });

  it("reads lists and flags from the command line's strings as well as from JSON", () => {
    const fromCli = readDeploymentContext(
      nodeWith({
        approvers: "ana@example.com, bo@example.com",
        securityGroupIds: "sg-0abc1234,sg-0def5678",
        sesSandbox: "true",
      }),
    );
    const fromJson = readDeploymentContext(
      nodeWith({
        approvers: ["ana@example.com", "bo@example.com"],
        securityGroupIds: ["sg-0abc1234", "sg-0def5678"],
        sesSandbox: true,
      }),
    );

    expect(fromCli).toEqual(fromJson);
    expect(fromCli.approvers).toEqual(["ana@example.com", "bo@example.com"]);
  });

  it("names a missing key and says how to pass it", () => {
    const error = failureOf({ sender: undefined });

    expect(error.message).toContain("sender is not set (pass -c sender=");
  });

  it("names every malformed key at once", () => {
    const error = failureOf({
      approvers: "ana@example.com,not-an-address",
      ami: "ubuntu",
      subnetId: "my-subnet",
    });

    expect(error.message).toMatch(/approvers must be comma-separated email addresses/);
    expect(error.message).toMatch(/ami must be an AMI id .* or an SSM parameter reference/);
    expect(error.message).toMatch(/subnetId must be a subnet id/);
  });

  it("accepts an AMI id or an SSM parameter reference", () => {
    expect(readDeploymentContext(nodeWith({ ami: "ami-0123456789abcdef0" })).ami).toBe(
      "ami-0123456789abcdef0",
    );
    expect(readDeploymentContext(nodeWith({ ami: "resolve:ssm:/my/ami" })).ami).toBe("resolve:ssm:/my/ami");
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
});
