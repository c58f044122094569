import "../../test/support/service-environment.ts";
import { afterEach, describe, expect, it, vi } from "vitest";

/** The launcher's config as a cold start reads it, with these variables as given (undefined: not set). */
const loadWith = async (variables: Record<string, string | undefined>) => {
  vi.resetModules();
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
  return (await import("./config.ts")).creationSettings;
};

afterEach(() => {
  vi.unstubAllEnvs();
  // Unit test files share their worker's modules: a config that failed to load must not stay cached for them.
  vi.resetModules();
});

describe("rds-launcher config", () => {
  it("creates in the function's own region, in the default VPC's subnets and security group when nothing is set", async () => {
    const settings = await loadWith({ DB_SUBNET_GROUP_NAME: undefined, DB_SECURITY_GROUP_IDS: undefined });

    expect(settings).toEqual({
      homeRegion: "us-east-1",
      dbSubnetGroupName: undefined,
      dbSecurityGroupIds: [],
      deploymentName: "approvals-test",
    });
  });

  it("reads the subnet group and the comma-separated security groups an operator sets", async () => {
    const settings = await loadWith({
      AWS_REGION: "eu-central-1",
      DB_SUBNET_GROUP_NAME: "approvals-databases",
      DB_SECURITY_GROUP_IDS: "sg-0123456789abcdef0, sg-0fedcba9876543210",
    });

    expect(settings).toEqual({
      homeRegion: "eu-central-1",
      dbSubnetGroupName: "approvals-databases",
      dbSecurityGroupIds: ["sg-0123456789abcdef0", "sg-0fedcba9876543210"],
      deploymentName: "approvals-test",
    });
  });

  it("refuses to load without the deployment's name to tag with, naming the variable", async () => {
    await expect(loadWith({ DEPLOYMENT_NAME: undefined })).rejects.toThrow("DEPLOYMENT_NAME is not set");
  });

  it("refuses to load without a region to create in, naming the variable", async () => {
    await expect(loadWith({ AWS_REGION: undefined })).rejects.toThrow("AWS_REGION is not set");
  });

  it("checks a release after each of RELEASE_CHECK_DELAYS, 30 seconds first by default", async () => {
    vi.resetModules();
    vi.stubEnv("RELEASE_CHECK_DELAYS", undefined);
    const { releaseCheckDelaysMs } = await import("./config.ts");

    expect(releaseCheckDelaysMs[0]).toBe(30_000);
  });

  it("reads the delays an operator sets, in order", async () => {
    vi.resetModules();
    vi.stubEnv("RELEASE_CHECK_DELAYS", "PT5S, PT1M");

    expect((await import("./config.ts")).releaseCheckDelaysMs).toEqual([5_000, 60_000]);
  });
});
