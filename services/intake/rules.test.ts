import { describe, expect, it } from "vitest";
import { ConfigError } from "../shared/config.ts";
import { intakeRulesOf } from "./rules.ts";

describe("intakeRulesOf: the settings on regions, bucket names and leases", () => {
  it("allows us-east-1 alone, as the default, and leases of an hour to 90 days when nothing is set", () => {
    expect(intakeRulesOf({})).toEqual({
      allowedRegions: ["us-east-1"],
      defaultRegion: "us-east-1",
      lease: { min: "PT1H", max: "P90D" },
    });
  });

  it("reads the lease bounds from LEASE_MIN and LEASE_MAX", () => {
    expect(intakeRulesOf({ LEASE_MIN: "PT10S", LEASE_MAX: "PT2M", LEASE_DEFAULT: "PT30S" }).lease).toEqual({
      min: "PT10S",
      max: "PT2M",
    });
  });

  it("refuses bounds that leave LEASE_DEFAULT outside them, naming the three", () => {
    expect(() => intakeRulesOf({ LEASE_MAX: "P5D" })).toThrow(
      "LEASE_DEFAULT P7D must be from LEASE_MIN PT1H to LEASE_MAX P5D",
    );
  });

  it("reads a comma-separated list of regions, a default among them and a bucket prefix", () => {
    expect(
      intakeRulesOf({
        ALLOWED_REGIONS: "eu-west-1, eu-central-1",
        DEFAULT_REGION: "eu-central-1",
        BUCKET_NAME_PREFIX: "acme-",
      }),
    ).toMatchObject({
      allowedRegions: ["eu-west-1", "eu-central-1"],
      defaultRegion: "eu-central-1",
      bucketNamePrefix: "acme-",
    });
  });

  it("reads ALLOWED_SUBNET_IDS as a list, and an empty one as any subnet", () => {
    expect(intakeRulesOf({ ALLOWED_SUBNET_IDS: "subnet-0abc1234, subnet-0def5678" })).toMatchObject({
      allowedSubnetIds: ["subnet-0abc1234", "subnet-0def5678"],
    });
    expect(intakeRulesOf({ ALLOWED_SUBNET_IDS: "" })).not.toHaveProperty("allowedSubnetIds");
  });

  it("refuses a default outside the allowed regions, naming DEFAULT_REGION and the allowed ones", () => {
    expect(() => intakeRulesOf({ ALLOWED_REGIONS: "eu-west-1" })).toThrow(
      new ConfigError(
        "Invalid configuration: DEFAULT_REGION us-east-1 must be one of ALLOWED_REGIONS (eu-west-1)",
      ),
    );
  });

  it("refuses a region code that is none, naming ALLOWED_REGIONS", () => {
    expect(() => intakeRulesOf({ ALLOWED_REGIONS: "us-east-1,Frankfurt" })).toThrow(
      /ALLOWED_REGIONS must be an AWS region code such as eu-west-1/,
    );
  });
});
