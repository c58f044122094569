import "../../test/support/service-environment.ts";
import { afterEach, describe, expect, it, vi } from "vitest";
import { bucketsTable, leasesTable } from "./tables.ts";

/** The launcher's config as a cold start reads it, with AWS_ENDPOINT_URL as given (undefined: not set). */
const loadWith = async (endpoint: string | undefined) => {
  vi.resetModules();
  vi.stubEnv("AWS_ENDPOINT_URL", endpoint);
  return import("./config.ts");
};

afterEach(() => {
  vi.unstubAllEnvs();
  // Unit test files share their worker's modules: a config that failed to load must not stay cached for them.
  vi.resetModules();
});

describe("s3-launcher config", () => {
  it("addresses buckets as S3 names them on AWS when no endpoint is set", async () => {
    const config = await loadWith(undefined);

    expect(config.s3ClientSettings).toEqual({ forcePathStyle: false });
    expect(config.homeRegion).toBe("us-east-1");
  });

  it("addresses buckets on the path of an endpoint of its own, which has no DNS name per bucket", async () => {
    const config = await loadWith("http://localhost:4566");

    expect(config.s3ClientSettings).toEqual({ forcePathStyle: true });
  });

  it("refuses to load without the name of its buckets table, naming the variable", async () => {
    vi.resetModules();
    vi.stubEnv(bucketsTable.tableNameEnv, undefined);

    await expect(import("./config.ts")).rejects.toThrow(`${bucketsTable.tableNameEnv} is not set`);
  });

  it("refuses to load without the name of its leases table, naming the variable", async () => {
    vi.resetModules();
    vi.stubEnv(leasesTable.tableNameEnv, undefined);

    await expect(import("./config.ts")).rejects.toThrow(`${leasesTable.tableNameEnv} is not set`);
  });
});
