import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY_FILE } from "../../policy/index.ts";
import { services } from "../../services/registry.ts";
import { createChatSettingsProvider } from "../../services/shared/chat-settings.ts";
import { directoryFromEnvironment } from "../../services/shared/directory.ts";
import { loadApprovalPolicies } from "../../services/shared/policies.ts";
import { DEFAULT_LOCAL_USERS, subjectOf } from "./identity/users.ts";
import {
  localChatEnvironment,
  localDirectoryEnvironment,
  localPoliciesEnvironment,
} from "./needs-environment.ts";

const declaring = (need: "directory" | "policies" | "chat", value: boolean) =>
  services.map((manifest) =>
    manifest.name === "decision" ? { ...manifest, needs: { ...manifest.needs, [need]: value } } : manifest,
  );
const noneDeclaring = (need: "directory" | "policies" | "chat") =>
  services.map((manifest) => ({ ...manifest, needs: { ...manifest.needs, [need]: false } }));

describe("localDirectoryEnvironment", () => {
  it("hands the services the identity provider's users, each with the subject of its tokens", async () => {
    const directory = directoryFromEnvironment(
      localDirectoryEnvironment(declaring("directory", true), DEFAULT_LOCAL_USERS),
    );

    expect(await directory.userByEmail("approver2@example.com")).toEqual({
      email: "approver2@example.com",
      subject: subjectOf("approver2@example.com"),
      name: "Alex Approver",
      groups: ["approvers"],
    });
    expect((await directory.membersOf("approvers")).map(({ email }) => email)).toEqual([
      "approver@example.com",
      "approver2@example.com",
    ]);
  });

  it("gives nothing when no service declares needs.directory", () => {
    expect(localDirectoryEnvironment(noneDeclaring("directory"), DEFAULT_LOCAL_USERS)).toEqual({});
  });
});

describe("localPoliciesEnvironment", () => {
  it("names the checked policy file for the services that read policies", () => {
    const environment = localPoliciesEnvironment(declaring("policies", true), DEFAULT_POLICY_FILE);

    expect(loadApprovalPolicies(undefined, environment).source).toBe(DEFAULT_POLICY_FILE);
  });

  it("gives nothing when no service declares needs.policies", () => {
    expect(localPoliciesEnvironment(noneDeclaring("policies"), DEFAULT_POLICY_FILE)).toEqual({});
  });
});

describe("localChatEnvironment", () => {
  const STAND_IN = {
    slackApiUrl: "http://localhost:8005/slack/api/",
    teamsWebhookUrl: "http://localhost:8005/teams/webhook",
    botToken: "xoxb-local-stand-in",
    signingSecret: "stand-in-secret",
  };
  const settingsOf = (environment: Record<string, string>) => createChatSettingsProvider(environment)();

  it("hands the services the stand-ins for Slack and Teams when the configuration names neither", async () => {
    const environment = localChatEnvironment(
      declaring("chat", true),
      { SLACK_APPROVALS_CHANNEL: "#approvals" },
      STAND_IN,
    );

    expect(await settingsOf(environment)).toEqual({
      slack: {
        botToken: "xoxb-local-stand-in",
        signingSecret: "stand-in-secret",
        apiUrl: "http://localhost:8005/slack/api/",
        approvalsChannel: "#approvals",
      },
      teams: { webhookUrl: "http://localhost:8005/teams/webhook" },
    });
  });

  it("hands them a real Slack app and Teams workflow when the configuration names them, and no channel when it is empty", async () => {
    const environment = localChatEnvironment(
      declaring("chat", true),
      {
        SLACK_BOT_TOKEN: "xoxb-real",
        SLACK_SIGNING_SECRET: "real-secret",
        SLACK_APPROVALS_CHANNEL: "",
        TEAMS_WEBHOOK_URL: "https://teams.example.com/hook",
      },
      STAND_IN,
    );

    expect(await settingsOf(environment)).toEqual({
      slack: { botToken: "xoxb-real", signingSecret: "real-secret" },
      teams: { webhookUrl: "https://teams.example.com/hook" },
    });
  });

  it("gives nothing when no service declares needs.chat", () => {
    expect(
      localChatEnvironment(noneDeclaring("chat"), { SLACK_APPROVALS_CHANNEL: "#approvals" }, STAND_IN),
    ).toEqual({});
  });
});
