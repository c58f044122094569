import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Match } from "aws-cdk-lib/assertions";
import { OriginRequestPolicy } from "aws-cdk-lib/aws-cloudfront";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { functionIdOf } from "../../infra/aws/constructs/handler-function.ts";
import { DeploymentContextError, readDeploymentContext } from "../../infra/aws/context.ts";
import { REPO_ROOT } from "../../infra/aws/paths.ts";
import { services } from "../../services/registry.ts";
import { cdkJsonContext, type SynthesizedStack, synthesize } from "./synth.ts";

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

/** What a deployment that turns chat on passes (docs/DEPLOYMENT.md). */
const CHAT_CONTEXT = {
  chatSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:approvals-chat-AbCdEf",
  chatSecretKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/0f6b4a3c-1111-2222-3333-444455556666",
  slackApprovalsChannel: "#approvals",
};

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** decision's HTTP function, by the name `functionsOf` gives it. */
const decisionHttpFunction = (): string => {
  const handler = services.find((service) => service.name === "decision")?.http?.handler;
  if (!handler) throw new Error("decision serves no HTTP routes");
  return `decision/${functionIdOf(handler)}`;
};

/**
 * The functions that talk to Slack or Teams: every one of chat's, and decision's HTTP function, which
 * answers Slack's buttons; not decision's event handlers, timers and sweeper.
 */
const talksToChat = (name: string): boolean => name.startsWith("chat/") || name === decisionHttpFunction();

/** Every function of the stack, with its environment and the statements of its role's policies. */
const functionsOf = (synth: SynthesizedStack) => {
  const resources = synth.template.toJSON().Resources as Record<string, Resource>;
  const policies = Object.values(resources).filter((resource) => resource.Type === "AWS::IAM::Policy");
  return synth.stack.services.flatMap((service) =>
    [...service.functions].map(([id, fn]) => {
      const role = { Ref: synth.logicalIdOf(fn.role) };
      return {
        name: `${service.name}/${id}`,
        variables:
          (
            resources[synth.logicalIdOf(fn.function)]?.Properties.Environment as
              | { Variables: Record<string, unknown> }
              | undefined
          )?.Variables ?? {},
        statements: policies
          .filter((policy) =>
            asList(policy.Properties.Roles).some(
              (attached) => JSON.stringify(attached) === JSON.stringify(role),
            ),
          )
          .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement),
      };
    }),
  );
};

/** Statements whose resources name `arn`. */
const naming = (arn: string) => (statement: Statement) => asList(statement.Resource).includes(arn);

describe("chat on AWS, with a chat secret, its key and an approvals channel", () => {
  let synth: SynthesizedStack;

  beforeAll(() => {
    synth = synthesize(CHAT_CONTEXT);
  });
  afterAll(() => synth.cleanUp());

  it("passes cdk-nag with no unacknowledged finding", () => {
    expect(synth.nagFindings).toEqual([]);
  });

  it("is declared by the chat service and by decision, which answers Slack's buttons, each with functions", () => {
    const declaring = services.filter((service) => service.needs.chat).map((service) => service.name);
    expect(declaring.sort()).toEqual(["chat", "decision"]);
    const chat = synth.stack.services.find((service) => service.name === "chat");
    expect(chat?.functions.size).toBeGreaterThan(0);
  });

  it("tells exactly the functions that talk to chat where the secret is, and the channel", () => {
    const told = functionsOf(synth)
      .filter((fn) => fn.variables.CHAT_SECRET_ARN !== undefined)
      .map((fn) => fn.name);
    const decision = functionsOf(synth).filter((fn) => fn.name.startsWith("decision/"));

    expect(told.sort()).toEqual(
      functionsOf(synth)
        .map((fn) => fn.name)
        .filter(talksToChat)
        .sort(),
    );
    expect(decision.filter((fn) => fn.variables.CHAT_SECRET_ARN !== undefined).map((fn) => fn.name)).toEqual([
      decisionHttpFunction(),
    ]);
    expect(decision.length, "decision's event handlers, timers and sweeper").toBeGreaterThan(1);
    for (const fn of functionsOf(synth)) {
      const expected = talksToChat(fn.name)
        ? {
            CHAT_SECRET_ARN: CHAT_CONTEXT.chatSecretArn,
            SLACK_APPROVALS_CHANNEL: CHAT_CONTEXT.slackApprovalsChannel,
          }
        : { CHAT_SECRET_ARN: undefined, SLACK_APPROVALS_CHANNEL: undefined };
      const { CHAT_SECRET_ARN, SLACK_APPROVALS_CHANNEL } = fn.variables;
      expect({ CHAT_SECRET_ARN, SLACK_APPROVALS_CHANNEL }, fn.name).toEqual(expected);
    }
  });

  it("lets those functions only read that secret, decrypting it through Secrets Manager alone, and no other function touch either", () => {
    const granted = functionsOf(synth)
      .filter((fn) => fn.statements.some(naming(CHAT_CONTEXT.chatSecretArn)))
      .map((fn) => fn.name);
    expect(granted).toContain(decisionHttpFunction());
    expect(granted.filter((name) => name.startsWith("decision/"))).toEqual([decisionHttpFunction()]);
    for (const fn of functionsOf(synth)) {
      const onSecret = fn.statements.filter(naming(CHAT_CONTEXT.chatSecretArn));
      const onKey = fn.statements.filter(naming(CHAT_CONTEXT.chatSecretKeyArn));
      if (!talksToChat(fn.name)) {
        expect([...onSecret, ...onKey], fn.name).toEqual([]);
        continue;
      }
      expect(onSecret, fn.name).toEqual([
        expect.objectContaining({
          Action: "secretsmanager:GetSecretValue",
          Resource: CHAT_CONTEXT.chatSecretArn,
        }),
      ]);
      expect(onKey, fn.name).toEqual([
        expect.objectContaining({
          Action: "kms:Decrypt",
          Resource: CHAT_CONTEXT.chatSecretKeyArn,
          Condition: {
            StringEquals: {
              "kms:ViaService": {
                "Fn::Join": ["", ["secretsmanager.", { Ref: "AWS::Region" }, ".amazonaws.com"]],
              },
            },
          },
        }),
      ]);
    }
  });

  it("answers POST /slack/interactions with decision's function and no authorizer: Slack's signature authorizes it", () => {
    const decision = synth.stack.services.find((service) => service.name === "decision");
    const fn =
      decision?.manifest.http && decision.functions.get(functionIdOf(decision.manifest.http.handler));
    if (!fn) throw new Error("decision serves no HTTP routes");
    const [integrationId] = Object.keys(
      synth.template.findResources("AWS::ApiGatewayV2::Integration", {
        Properties: Match.objectLike({
          IntegrationUri: { "Fn::GetAtt": [synth.logicalIdOf(fn.function), "Arn"] },
        }),
      }),
    );
    synth.template.hasResourceProperties("AWS::ApiGatewayV2::Route", {
      RouteKey: "POST /slack/interactions",
      AuthorizationType: "NONE",
      AuthorizerId: Match.absent(),
      Target: { "Fn::Join": ["", ["integrations/", { Ref: integrationId }]] },
    });
  });

  it("has CloudFront send /slack/* to the API uncached, with every header Slack signs and the body as posted", () => {
    const [distribution] = Object.values(synth.template.findResources("AWS::CloudFront::Distribution"));
    const config = distribution?.Properties.DistributionConfig as
      | { CacheBehaviors: { PathPattern: string; OriginRequestPolicyId: string; AllowedMethods: string[] }[] }
      | undefined;
    const behaviors = config?.CacheBehaviors ?? [];
    const slack = behaviors.find((behavior) => behavior.PathPattern === "/slack/*");
    const api = behaviors.find((behavior) => behavior.PathPattern === "/api/*");
    // The API's own behaviour: every viewer header (x-slack-signature, x-slack-request-timestamp) but Host.
    expect(slack).toEqual(api && { ...api, PathPattern: "/slack/*" });
    expect(slack).toMatchObject({
      OriginRequestPolicyId: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId,
      AllowedMethods: expect.arrayContaining(["POST"]),
    });
  });
});

describe("chat on AWS, with no chat secret", () => {
  let synth: SynthesizedStack;

  beforeAll(() => {
    synth = synthesize();
  });
  afterAll(() => synth.cleanUp());

  it("is off: no function is told of a chat secret or a channel, and none may read a secret but the link key", () => {
    const [linkKey] = Object.keys(
      synth.template.findResources("AWS::SecretsManager::Secret", {
        Properties: Match.objectLike({ Description: Match.stringLikeRegexp("approval links") }),
      }),
    );
    for (const fn of functionsOf(synth)) {
      expect(Object.keys(fn.variables), fn.name).not.toContain("CHAT_SECRET_ARN");
      expect(Object.keys(fn.variables), fn.name).not.toContain("SLACK_APPROVALS_CHANNEL");
      const reads = fn.statements.filter((statement) =>
        asList(statement.Action).includes("secretsmanager:GetSecretValue"),
      );
      for (const statement of reads) expect(statement.Resource, fn.name).toEqual({ Ref: linkKey });
      expect(
        fn.statements.flatMap((statement) => asList(statement.Action)),
        fn.name,
      ).not.toContain("kms:Decrypt");
    }
  });
});

describe("chat's deployment context", () => {
  /** What synth reads: cdk.json's context with `overrides` on top. */
  const read = (overrides: Record<string, unknown>) => {
    const context: Record<string, unknown> = { ...cdkJsonContext(), ...overrides };
    return readDeploymentContext({ tryGetContext: (key: string) => context[key] });
  };
  const failureOf = (overrides: Record<string, unknown>): string => {
    try {
      read(overrides);
    } catch (error) {
      if (error instanceof DeploymentContextError) return error.message;
      throw error;
    }
    throw new Error("the context was accepted");
  };

  it.each([
    ["a secret's name", { chatSecretArn: "approvals-chat" }, /chatSecretArn must be the complete ARN/],
    [
      "a partial ARN, without the characters Secrets Manager adds",
      { chatSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:approvals-chat" },
      /chatSecretArn must be the complete ARN/,
    ],
    [
      "another service's ARN",
      { chatSecretArn: "arn:aws:ssm:eu-west-1:123456789012:parameter/approvals-chat-AbCdEf" },
      /chatSecretArn must be the complete ARN/,
    ],
    [
      "a key's alias",
      { ...CHAT_CONTEXT, chatSecretKeyArn: "arn:aws:kms:eu-west-1:123456789012:alias/chat" },
      /chatSecretKeyArn must be the ARN of the KMS key/,
    ],
    [
      "a channel named with capitals and spaces",
      { ...CHAT_CONTEXT, slackApprovalsChannel: "#Approvals team" },
      /slackApprovalsChannel must be a Slack channel's id \(C0123ABCDEF\) or its name/,
    ],
    [
      "a channel without the secret",
      { slackApprovalsChannel: "#approvals" },
      /slackApprovalsChannel needs chatSecretArn/,
    ],
    [
      "a key without the secret",
      { chatSecretKeyArn: CHAT_CONTEXT.chatSecretKeyArn },
      /chatSecretKeyArn needs chatSecretArn/,
    ],
  ])("refuses %s, naming the key", (_, overrides, message) => {
    expect(failureOf(overrides)).toMatch(message);
  });

  it("takes a channel by its id or its name, and leaves chat off when nothing is set", () => {
    expect(read({ ...CHAT_CONTEXT, slackApprovalsChannel: "C0123ABCDEF" }).slackApprovalsChannel).toBe(
      "C0123ABCDEF",
    );
    expect(read(CHAT_CONTEXT)).toMatchObject(CHAT_CONTEXT);
    expect(read({})).toMatchObject({
      chatSecretArn: undefined,
      chatSecretKeyArn: undefined,
      slackApprovalsChannel: undefined,
    });
  });
});

describe("the Slack app's manifest, which the operator creates the app from (docs/DEPLOYMENT.md)", () => {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "infra/aws/slack-app-manifest.json"), "utf8")) as {
    oauth_config: { scopes: { bot: string[] } };
    settings: { interactivity: { is_enabled: boolean; request_url: string } };
  };

  it("sends the buttons' clicks to the route decision serves without sign-in", () => {
    const { is_enabled, request_url } = manifest.settings.interactivity;
    const decision = services.find((service) => service.name === "decision");

    expect(is_enabled).toBe(true);
    expect(decision?.http?.routes).toContainEqual({
      method: "POST",
      path: new URL(request_url).pathname,
      signedIn: false,
    });
  });

  it("asks for what the chat services call and nothing more: messages (direct ones by user id), and users with their addresses", () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([
      "chat:write",
      "users:read",
      "users:read.email",
    ]);
  });
});
