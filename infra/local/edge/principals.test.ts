import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  existingServicesPrincipal,
  SERVICE_CREDENTIALS_FILE,
  SERVICES_ROLE_ARN,
  ServiceCredentialsError,
  servicesPrincipal,
} from "./principals.ts";

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "principals-"));
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

describe("the services' credentials", () => {
  it("are made on the first start: an IAM-shaped key and a secret, readable by the owner alone", async () => {
    const principal = await servicesPrincipal(dataDir);

    expect(principal.arn).toBe(SERVICES_ROLE_ARN);
    expect(principal.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(principal.secretAccessKey.length).toBeGreaterThanOrEqual(40);
    expect((await stat(join(dataDir, SERVICE_CREDENTIALS_FILE))).mode & 0o777).toBe(0o600);
  });

  it("are kept across restarts, and differ from one data directory to the next", async () => {
    const first = await servicesPrincipal(dataDir);
    const otherDir = await mkdtemp(join(tmpdir(), "principals-"));

    const again = await servicesPrincipal(dataDir);
    const elsewhere = await servicesPrincipal(otherDir);
    await rm(otherDir, { recursive: true, force: true });

    expect(again).toEqual(first);
    expect(elsewhere.accessKeyId).not.toBe(first.accessKeyId);
    expect(await existingServicesPrincipal(dataDir)).toEqual(first);
  });

  it("are never made by the operator's tools, which say to start the stack first", async () => {
    await expect(existingServicesPrincipal(dataDir)).rejects.toThrow(/npm start/);
  });

  it("name the file when it holds no credentials", async () => {
    await writeFile(join(dataDir, SERVICE_CREDENTIALS_FILE), '{"accessKeyId": "local"}');

    const failure = servicesPrincipal(dataDir);

    await expect(failure).rejects.toBeInstanceOf(ServiceCredentialsError);
    await expect(failure).rejects.toThrow(SERVICE_CREDENTIALS_FILE);
  });
});
