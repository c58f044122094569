import { describe, expect, it } from "vitest";
import { ConfigError } from "../shared/config.ts";
import { intakeRulesOf } from "./rules.ts";

describe("intakeRulesOf: the settings on regions and bucket names", () => {
  it("allows us-east-1 alone, as the default, when nothing is set", () => {
    expect(intakeRulesOf({})).toEqual({ allowedRegions: ["us-east-1"], defaultRegion: "us-east-1" });
  });

  it("reads a comma-separated list of regions, a default among them and a bucket prefix", () => {
    expect(
      intakeRulesOf({
        ALLOWED_REGIONS: "eu-west-1, eu-central-1",
        DEFAULT_REGION: "eu-central-1",
        BUCKET_NAME_PREFIX: "acme-",
      }),
    ).toEqual({
      allowedRegions: ["eu-west-1", "eu-central-1"],
      defaultRegion: "eu-central-1",
      bucketNamePrefix: "acme-",
    });
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
