import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../services/shared/config.ts";
import { loadDeadLetterCliConfig, loadLocalConfig } from "./config.ts";

const run = promisify(execFile);

describe("local configuration", () => {
  it("leaves the images to the launcher's defaults when IMAGE_IDS is not set", () => {
    expect(loadLocalConfig({}).IMAGE_IDS).toBeUndefined();
  });

  it("reads IMAGE_IDS as the launcher does", () => {
    const config = loadLocalConfig({
      IMAGE_IDS: '{"amazon-linux-2023": {"x86_64": "ami-00000000000000bad"}}',
    });

    expect(config.IMAGE_IDS).toEqual({ "amazon-linux-2023": { x86_64: "ami-00000000000000bad" } });
  });

  it("refuses to start with a malformed IMAGE_IDS, naming the entry at fault", () => {
    const load = () =>
      loadLocalConfig({ IMAGE_IDS: '{"windows-server-2022": {"arm64": "ami-0123456789abcdef0"}}' });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      "Invalid local configuration: IMAGE_IDS.windows-server-2022.arm64 cannot be set: windows-server-2022 runs only on x86_64",
    );
  });
});

describe("local configuration defaults and refusals", () => {
  it("runs on the documented ports, approver and TTL when nothing is set", () => {
    const config = loadLocalConfig({});

    expect(config).toMatchObject({
      PORT: 3000,
      EDGE_PORT: 4566,
      MAIL_PORT: 8005,
      DATA_DIR: ".data",
      APPROVERS: ["approver@example.com"],
      APPROVAL_TTL_SECONDS: 72 * 3600,
      PUBLIC_URL: "http://localhost:3000",
    });
  });

  it("names every bad variable and why, in one message", () => {
    const load = () =>
      loadLocalConfig({ PORT: "abc", EDGE_PORT: "70000", APPROVERS: "nope", BUS_MAX_ATTEMPTS: "0" });

    expect(load).toThrow(
      "Invalid local configuration: PORT must be a whole number; EDGE_PORT must be at most 65535; " +
        "APPROVERS must be comma-separated email addresses; BUS_MAX_ATTEMPTS must be at least 1",
    );
  });
});

describe("the dead-letter CLI's configuration", () => {
  it("reads the local edge's default address when EDGE_URL is not set", () => {
    expect(loadDeadLetterCliConfig({})).toEqual({ EDGE_URL: "http://localhost:4566" });
  });

  it("finds the edge on the EDGE_PORT local mode was started with when EDGE_URL is not set", () => {
    expect(loadDeadLetterCliConfig({ EDGE_PORT: "4600" })).toEqual({ EDGE_URL: "http://localhost:4600" });
  });

  it("prefers EDGE_URL to EDGE_PORT", () => {
    expect(loadDeadLetterCliConfig({ EDGE_URL: "http://127.0.0.1:4570", EDGE_PORT: "4600" })).toEqual({
      EDGE_URL: "http://127.0.0.1:4570",
    });
  });

  it("reads EDGE_URL without its trailing slash", () => {
    expect(loadDeadLetterCliConfig({ EDGE_URL: "http://127.0.0.1:4570/" })).toEqual({
      EDGE_URL: "http://127.0.0.1:4570",
    });
  });

  it("makes the CLI print a malformed EDGE_URL as the problem and exit 1", async () => {
    const failure = run(process.execPath, ["--import", "tsx", "infra/local/dlq-cli.ts", "list"], {
      cwd: `${import.meta.dirname}/../..`,
      env: { PATH: process.env.PATH, EDGE_URL: "nope" },
    });

    await expect(failure).rejects.toMatchObject({
      code: 1,
      stderr: "Invalid configuration: EDGE_URL must be an absolute URL\n",
    });
  });
});
