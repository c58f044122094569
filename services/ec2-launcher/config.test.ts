import "../../test/support/service-environment.ts";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_IMAGES, imagesWith } from "./domain.ts";
import { idempotencyTable } from "./tables.ts";

/** The launcher's config as a cold start reads it, with IMAGE_IDS as given (undefined: not set). */
const loadWith = async (imageIds: string | undefined) => {
  vi.resetModules();
  vi.stubEnv("IMAGE_IDS", imageIds);
  return (await import("./config.ts")).launchSettings;
};

afterEach(() => {
  vi.unstubAllEnvs();
  // Unit test files share their worker's modules: a config that failed to load must not stay cached for them.
  vi.resetModules();
});

describe("ec2-launcher config", () => {
  it("launches from AWS's public images when IMAGE_IDS is not set", async () => {
    const settings = await loadWith(undefined);

    expect(settings.images).toEqual(DEFAULT_IMAGES);
  });

  it("replaces the images IMAGE_IDS names and keeps the other defaults", async () => {
    const settings = await loadWith('{"amazon-linux-2023": {"x86_64": "ami-00000000000000bad"}}');

    expect(settings.images).toEqual(imagesWith({ "amazon-linux-2023": { x86_64: "ami-00000000000000bad" } }));
    expect(settings.images["amazon-linux-2023"]?.arm64).toBe(DEFAULT_IMAGES["amazon-linux-2023"].arm64);
  });

  it("keeps the images IMAGE_IDS names for one region apart, for that region alone", async () => {
    const settings = await loadWith(
      '{"regions": {"eu-west-1": {"ubuntu-24.04": {"arm64": "ami-0123456789abcdef0"}}}}',
    );

    expect(settings.regionalImages).toEqual({
      "eu-west-1": { "ubuntu-24.04": { arm64: "ami-0123456789abcdef0" } },
    });
    expect(settings.images).toEqual(DEFAULT_IMAGES);
  });

  it("refuses to load with a parameter reference for one region, naming the entry at fault", async () => {
    await expect(
      loadWith('{"regions": {"eu-west-1": {"ubuntu-24.04": {"arm64": "resolve:ssm:/golden/ubuntu"}}}}'),
    ).rejects.toThrow("IMAGE_IDS.regions.eu-west-1.ubuntu-24.04.arm64 must be an AMI id");
  });

  it("launches requests from before regions in the region it runs in", async () => {
    vi.stubEnv("AWS_REGION", "eu-central-1");

    expect((await loadWith(undefined)).stackRegion).toBe("eu-central-1");
  });

  it("refuses to load with a malformed IMAGE_IDS, naming the entry at fault", async () => {
    const loading = loadWith('{"ubuntu-24.04": {"arm64": "latest-ubuntu"}}');

    // A fresh module graph per load: the error is the fresh config module's ConfigError, so matched by name.
    await expect(loading).rejects.toMatchObject({ name: "ConfigError" });
    await expect(loading).rejects.toThrow(
      "Invalid configuration: IMAGE_IDS.ubuntu-24.04.arm64 must be an AMI id (ami-0123456789abcdef0) or an SSM parameter reference",
    );
  });

  it("refuses to load without the name of its idempotency table, naming the variable", async () => {
    vi.resetModules();
    vi.stubEnv(idempotencyTable.tableNameEnv, undefined);

    await expect(import("./config.ts")).rejects.toThrow(`${idempotencyTable.tableNameEnv} is not set`);
  });

  it("refuses to load with an IMAGE_IDS that is not JSON", async () => {
    await expect(loadWith("ami-0123456789abcdef0")).rejects.toThrow(/IMAGE_IDS must be JSON like/);
  });
});
