import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it, onTestFinished } from "vitest";
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
      APPROVAL_TTL_SECONDS: 72 * 3600,
      PUBLIC_URL: "http://localhost:3000",
    });
  });

  it("names every bad variable and why, in one message", () => {
    const load = () =>
      loadLocalConfig({ PORT: "abc", EDGE_PORT: "70000", SENDER: "nope", BUS_MAX_ATTEMPTS: "0" });

    expect(load).toThrow(
      "Invalid local configuration: PORT must be a whole number; EDGE_PORT must be at most 65535; " +
        "SENDER must be an email address; BUS_MAX_ATTEMPTS must be at least 1",
    );
  });
});

describe("DECISIONS_REQUIRE_SIGN_IN", () => {
  it("is off unless set to true", () => {
    expect(loadLocalConfig({}).DECISIONS_REQUIRE_SIGN_IN).toBe(false);
    expect(loadLocalConfig({ DECISIONS_REQUIRE_SIGN_IN: "true" }).DECISIONS_REQUIRE_SIGN_IN).toBe(true);
  });

  it("refuses anything but true or false, naming it", () => {
    expect(() => loadLocalConfig({ DECISIONS_REQUIRE_SIGN_IN: "yes" })).toThrow(
      "DECISIONS_REQUIRE_SIGN_IN must be true or false",
    );
  });
});

describe("ALLOWED_REGIONS and DEFAULT_REGION", () => {
  it("allow us-east-1, the default, and eu-west-1 when nothing is set", () => {
    expect(loadLocalConfig({})).toMatchObject({
      ALLOWED_REGIONS: "us-east-1,eu-west-1",
      DEFAULT_REGION: "us-east-1",
    });
  });

  it("stop the start with a default outside the allowed regions, naming DEFAULT_REGION", () => {
    expect(() => loadLocalConfig({ DEFAULT_REGION: "ap-northeast-1" })).toThrow(
      /DEFAULT_REGION ap-northeast-1 must be one of ALLOWED_REGIONS \(us-east-1, eu-west-1\)/,
    );
  });
});

describe("APPROVAL_POLICIES", () => {
  const repositoryFile = (...path: string[]) => join(import.meta.dirname, "..", "..", ...path);

  it("is the repository's policy file unless set", () => {
    expect(loadLocalConfig({}).APPROVAL_POLICIES).toBe(repositoryFile("policies", "approval-policies.json"));
    expect(
      loadLocalConfig({ APPROVAL_POLICIES: repositoryFile("policies", "examples", "ec2-by-size.json") }),
    ).toMatchObject({ APPROVAL_POLICIES: repositoryFile("policies", "examples", "ec2-by-size.json") });
  });

  it("stops the start with the policy file's problems", () => {
    const directory = mkdtempSync(join(tmpdir(), "policies-"));
    onTestFinished(() => rmSync(directory, { recursive: true, force: true }));
    const file = join(directory, "policies.json");
    writeFileSync(
      file,
      JSON.stringify({ policies: [{ name: "t3", match: { type: "ec2" }, deny: { reason: "no" } }] }),
    );

    const load = () => loadLocalConfig({ APPROVAL_POLICIES: file });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      `Invalid approval policies in ${file}: policy "t3": match is not a valid EventBridge event pattern: "type" must be an object or an array`,
    );
  });
});

describe("local users and the identity provider's port", () => {
  it("runs the provider on 8010 with one requester, two approvers and an operator when nothing is set", () => {
    const config = loadLocalConfig({});

    expect(config.IDP_PORT).toBe(8010);
    expect(config.LOCAL_USERS).toEqual([
      { email: "requester@example.com", name: "Riley Requester", groups: ["requesters"] },
      { email: "approver@example.com", name: "Avery Approver", groups: ["approvers"] },
      { email: "approver2@example.com", name: "Alex Approver", groups: ["approvers"] },
      { email: "operator@example.com", name: "Oakley Operator", groups: ["operators"] },
    ]);
  });

  it("reads LOCAL_USERS as JSON, addresses lower-cased", () => {
    const config = loadLocalConfig({
      LOCAL_USERS: '[{"email": "Kim@Example.com", "name": "Kim", "groups": ["approvers", "operators"]}]',
      IDP_PORT: "8111",
    });

    expect(config.LOCAL_USERS).toEqual([
      { email: "kim@example.com", name: "Kim", groups: ["approvers", "operators"] },
    ]);
    expect(config.IDP_PORT).toBe(8111);
  });

  it.each([
    ["not JSON", "[{", "LOCAL_USERS must be JSON like"],
    ["not a list", '{"email": "kim@example.com"}', "LOCAL_USERS must be a JSON list like"],
    ["an empty list", "[]", "LOCAL_USERS must list at least one user"],
    [
      "an unknown group",
      '[{"email": "kim@example.com", "name": "Kim", "groups": ["requesters"]}, {"email": "lee@example.com", "name": "Lee", "groups": ["admins"]}]',
      "LOCAL_USERS[1].groups[0] must be one of requesters, approvers, operators",
    ],
    [
      "a bad email",
      '[{"email": "kim", "name": "Kim", "groups": []}]',
      "LOCAL_USERS[0].email must be an email address",
    ],
    ["a missing name", '[{"email": "kim@example.com", "groups": []}]', "LOCAL_USERS[0].name must be a name"],
    [
      "an address listed twice",
      '[{"email": "kim@example.com", "name": "Kim", "groups": []}, {"email": "KIM@example.com", "name": "Kim 2", "groups": []}]',
      "LOCAL_USERS[1].email is listed twice",
    ],
  ])("refuses LOCAL_USERS with %s, naming the entry and the field", (_case, value, message) => {
    const load = () => loadLocalConfig({ LOCAL_USERS: value });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });

  it("refuses an IDP_PORT that is not a port", () => {
    expect(() => loadLocalConfig({ IDP_PORT: "80100" })).toThrow(
      "Invalid local configuration: IDP_PORT must be at most 65535",
    );
  });
});

describe("the dead-letter CLI's configuration", () => {
  it("reads the local edge's default address when EDGE_URL is not set", () => {
    expect(loadDeadLetterCliConfig({})).toEqual({ EDGE_URL: "http://localhost:4566", DATA_DIR: ".data" });
  });

  it("finds the edge on the EDGE_PORT local mode was started with when EDGE_URL is not set", () => {
    expect(loadDeadLetterCliConfig({ EDGE_PORT: "4600" })).toEqual({
      EDGE_URL: "http://localhost:4600",
      DATA_DIR: ".data",
    });
  });

  it("prefers EDGE_URL to EDGE_PORT", () => {
    expect(loadDeadLetterCliConfig({ EDGE_URL: "http://127.0.0.1:4570", EDGE_PORT: "4600" })).toEqual({
      EDGE_URL: "http://127.0.0.1:4570",
      DATA_DIR: ".data",
    });
  });

  it("reads EDGE_URL without its trailing slash", () => {
    expect(loadDeadLetterCliConfig({ EDGE_URL: "http://127.0.0.1:4570/" })).toEqual({
      EDGE_URL: "http://127.0.0.1:4570",
      DATA_DIR: ".data",
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

describe("local lease settings", () => {
  it("stop the start naming the variable when one is not a duration, or the bounds disagree", () => {
    for (const [settings, problem] of [
      [{ LEASE_REMINDERS: "P3D,soon" }, "LEASE_REMINDERS"],
      [{ RELEASE_CHECK_DELAYS: "" }, "RELEASE_CHECK_DELAYS"],
      [{ LEASE_MIN: "P2D", LEASE_MAX: "P1D" }, "LEASE_MIN P2D must not be longer than LEASE_MAX P1D"],
    ] as const) {
      const load = () => loadLocalConfig(settings);

      expect(load, problem).toThrow(ConfigError);
      expect(load, problem).toThrow(problem);
    }
  });

  it("take seconds, as tests of leases set them", () => {
    expect(() =>
      loadLocalConfig({
        LEASE_DEFAULT: "PT30S",
        LEASE_MIN: "PT10S",
        LEASE_MAX: "PT5M",
        LEASE_REMINDERS: "PT20S,PT10S",
        RELEASE_CHECK_DELAYS: "PT1S,PT2S",
      }),
    ).not.toThrow();
  });
});

describe("local chat settings", () => {
  it("post approval requests in the stand-in's #approvals unless SLACK_APPROVALS_CHANNEL says otherwise", () => {
    expect(loadLocalConfig({}).SLACK_APPROVALS_CHANNEL).toBe("#approvals");
    expect(loadLocalConfig({ SLACK_APPROVALS_CHANNEL: "" }).SLACK_APPROVALS_CHANNEL).toBe("");
  });

  it("stop the start when a real Slack app is named by only one of its token and signing secret, naming the other", () => {
    expect(() => loadLocalConfig({ SLACK_BOT_TOKEN: "xoxb-1" })).toThrow(ConfigError);
    expect(() => loadLocalConfig({ SLACK_BOT_TOKEN: "xoxb-1" })).toThrow("SLACK_SIGNING_SECRET is not set");
    expect(() => loadLocalConfig({ SLACK_SIGNING_SECRET: "s" })).toThrow("SLACK_BOT_TOKEN is not set");
  });

  it("stop the start with a TEAMS_WEBHOOK_URL that is not https, naming it", () => {
    expect(() => loadLocalConfig({ TEAMS_WEBHOOK_URL: "http://teams.example.com/hook" })).toThrow(
      "TEAMS_WEBHOOK_URL must be an https URL",
    );
  });
});
