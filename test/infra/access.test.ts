import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Match } from "aws-cdk-lib/assertions";
import { CachePolicy } from "aws-cdk-lib/aws-cloudfront";
import type { IConstruct } from "constructs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GROUPS, groupsAdmittedTo } from "../../api/access.ts";
import { API_ROUTES } from "../../api/contract.ts";
import { PORTAL_CONFIG_PATH, PORTAL_SCOPE, portalConfigSchema } from "../../api/portal-config.ts";
import { ResourceRequested } from "../../events/resource-requested.ts";
import { functionIdOf, type HandlerFunction, TIMEOUTS } from "../../infra/aws/constructs/handler-function.ts";
import { PORTAL_LOG_FIELDS, PORTAL_LOG_PREFIX } from "../../infra/aws/constructs/portal.ts";
import {
  ACCESS_TOKEN_VALIDITY,
  REFRESH_TOKEN_VALIDITY,
  SIGN_IN_CALLBACK_PATH,
} from "../../infra/aws/constructs/sign-in.ts";
import { TRUSTED_EMAIL_PROVIDER } from "../../infra/aws/functions/pre-token-generation.ts";
import { REPO_ROOT } from "../../infra/aws/paths.ts";
import { AWS_SOURCES, OWN_SOURCES, sourcesPublishedBy } from "../../infra/aws/stack.ts";
import { services } from "../../services/registry.ts";
import { ORIGIN_VERIFY_HEADER } from "../../services/shared/behind-cloudfront.ts";
import { type SynthesizedStack, synthesize } from "./synth.ts";

type Resource = { Type: string; Properties: Record<string, unknown> };
type BusStatement = {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal: unknown;
  Action: string;
  Resource: unknown;
  Condition: Record<string, Record<string, unknown>>;
};

const resourcesOfType = (synth: SynthesizedStack, type: string): [string, Resource][] =>
  Object.entries(synth.template.toJSON().Resources as Record<string, Resource>).filter(
    ([, resource]) => resource.Type === type,
  );

const onlyResource = (synth: SynthesizedStack, type: string): Resource => {
  const found = resourcesOfType(synth, type);
  expect(found, type).toHaveLength(1);
  return (found[0] as [string, Resource])[1];
};

const busStatements = (synth: SynthesizedStack): BusStatement[] =>
  resourcesOfType(synth, "AWS::Events::EventBusPolicy").map(([, policy]) => {
    expect(policy.Properties.EventBusName).toEqual({ Ref: synth.logicalIdOf(synth.stack.bus) });
    return policy.Properties.Statement as BusStatement;
  });

const statementNamed = (synth: SynthesizedStack, sid: string): BusStatement | undefined =>
  busStatements(synth).find((statement) => statement.Sid.replace(/^cdk-/, "") === sid);

/** The roles of the stack's functions whose handler's `uses` publish `detailType`, as the template refers to them. */
const rolesOfFunctionsPublishing = (synth: SynthesizedStack, detailType: string) =>
  synth.stack.services.flatMap((service) =>
    service.manifest.uses
      .filter(({ publishes = [] }) => publishes.some((contract) => contract.detailType === detailType))
      .map(({ handler }) => roleOf(synth, service.functions.get(functionIdOf(handler))?.role)),
  );

/** A role's ARN as the template refers to it. */
const roleOf = (synth: SynthesizedStack, role: IConstruct | undefined) => {
  if (!role) throw new Error("no role");
  return { "Fn::GetAtt": [synth.logicalIdOf(role), "Arn"] };
};

const serviceNamed = (synth: SynthesizedStack, name: string) => {
  const service = synth.stack.services.find((candidate) => candidate.name === name);
  if (!service) throw new Error(`no service named ${name}`);
  return service;
};

/**
 * The roles that put events under `source`, as the template refers to them: the functions of the
 * services that publish under it, and the schedules' role when one of those services schedules events.
 */
const rolesPublishingUnder = (synth: SynthesizedStack, source: string) => {
  const producers = synth.stack.services.filter((service) =>
    sourcesPublishedBy(service.manifest).includes(source),
  );
  const { schedules } = synth.stack;
  return [
    ...producers.flatMap((service) => [...service.functions.values()]).map((fn) => roleOf(synth, fn.role)),
    ...(schedules && producers.some((service) => service.manifest.needs.schedules)
      ? [roleOf(synth, schedules.role)]
      : []),
  ];
};

/** One entry of a PutEvents call: who puts it (a role as the template refers to it, or an ARN), and what. */
interface PutEventsEntry {
  principal: unknown;
  account: string;
  source: string;
  detailType: string;
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

const globMatches = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  ).test(value);

/**
 * The Sids of the bus policy's denies that refuse `entry`: each holds when every condition holds, as
 * IAM evaluates them, for the operators and keys the policy uses (any other fails the test).
 */
const deniedBy = (synth: SynthesizedStack, entry: PutEventsEntry): string[] => {
  const keyValueOf = (key: string): unknown => {
    const values: Record<string, unknown> = {
      "events:source": entry.source,
      "events:detail-type": entry.detailType,
      "aws:PrincipalArn": entry.principal,
      "aws:PrincipalAccount": entry.account,
    };
    if (!(key in values)) throw new Error(`the bus policy reads ${key}, which this test does not know`);
    return values[key];
  };
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const holds = (operator: string, key: string, expected: unknown): boolean => {
    const value = keyValueOf(key);
    const listed = asList(expected);
    switch (operator) {
      case "StringEquals":
        return listed.some((candidate) => same(candidate, value));
      case "StringNotEquals":
      case "ArnNotEquals":
        return !listed.some((candidate) => same(candidate, value));
      case "StringLike":
        return listed.some((pattern) => globMatches(String(pattern), String(value)));
      case "StringNotLike":
        return !listed.some((pattern) => globMatches(String(pattern), String(value)));
      default:
        throw new Error(`the bus policy uses ${operator}, which this test does not know`);
    }
  };
  return busStatements(synth)
    .filter((statement) => statement.Effect === "Deny")
    .filter((statement) =>
      Object.entries(statement.Condition).every(([operator, keys]) =>
        Object.entries(keys).every(([key, expected]) => holds(operator, key, expected)),
      ),
    )
    .map((statement) => statement.Sid.replace(/^cdk-/, ""));
};

/** The environment the stack gives the pre token generation trigger. */
const triggerEnvironmentOf = (synth: SynthesizedStack): Record<string, unknown> =>
  (
    synth.template.toJSON().Resources[synth.logicalIdOf(synth.stack.signIn.preTokenGeneration.function)]
      .Properties.Environment as { Variables: Record<string, unknown> }
  ).Variables;

/** `https://<the distribution's domain><path>`, as the template joins it. */
const portalUrlWith = (synth: SynthesizedStack, path: string) => ({
  "Fn::Join": [
    "",
    ["https://", { "Fn::GetAtt": [synth.logicalIdOf(synth.stack.portal.distribution), "DomainName"] }, path],
  ],
});

describe("sign-in and access on AWS, from cdk.json's defaults", () => {
  let synth: SynthesizedStack;

  beforeAll(() => {
    synth = synthesize();
  });

  afterAll(() => synth.cleanUp());

  it("passes cdk-nag with no unacknowledged finding", () => {
    expect(synth.nagFindings).toEqual([]);
  });

  describe("the user pool", () => {
    it("lets nobody sign up, signs in by email, offers MFA and runs the token trigger on the Essentials plan", () => {
      const pool = onlyResource(synth, "AWS::Cognito::UserPool");
      const trigger = synth.logicalIdOf(synth.stack.signIn.preTokenGeneration.function);

      expect(pool.Properties).toMatchObject({
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        UsernameAttributes: ["email"],
        MfaConfiguration: "OPTIONAL",
        UserPoolTier: "ESSENTIALS",
        DeletionProtection: "ACTIVE",
        LambdaConfig: {
          PreTokenGenerationConfig: { LambdaArn: { "Fn::GetAtt": [trigger, "Arn"] }, LambdaVersion: "V2_0" },
        },
      });
      synth.template.hasResourceProperties("AWS::Lambda::Permission", {
        FunctionName: { "Fn::GetAtt": [trigger, "Arn"] },
        Principal: "cognito-idp.amazonaws.com",
      });
    });

    it("runs the token trigger as a bundled Node.js 22 function within Cognito's wait", () => {
      const trigger = synth.logicalIdOf(synth.stack.signIn.preTokenGeneration.function);
      expect(synth.template.toJSON().Resources[trigger].Properties).toMatchObject({
        Runtime: "nodejs22.x",
        Handler: "index.handler",
        Timeout: TIMEOUTS["sign-in"].toSeconds(),
      });
    });

    it("has exactly the groups the API admits", () => {
      const groups = resourcesOfType(synth, "AWS::Cognito::UserPoolGroup").map(
        ([, group]) => group.Properties.GroupName,
      );
      expect(groups.sort()).toEqual([...GROUPS].sort());
    });

    it("signs in on the newer managed login, branded", () => {
      const pool = synth.logicalIdOf(synth.stack.signIn.userPool);
      expect(onlyResource(synth, "AWS::Cognito::UserPoolDomain").Properties).toMatchObject({
        UserPoolId: { Ref: pool },
        ManagedLoginVersion: 2,
      });
      expect(onlyResource(synth, "AWS::Cognito::ManagedLoginBranding").Properties).toMatchObject({
        UserPoolId: { Ref: pool },
        ClientId: { Ref: synth.logicalIdOf(synth.stack.signIn.client) },
      });
    });

    it("gives the portal a public client: authorization code, no secret, its scopes, its callback, hour-long access tokens", () => {
      const client = onlyResource(synth, "AWS::Cognito::UserPoolClient");
      const minutes = (duration: { toMinutes: () => number }) => duration.toMinutes();

      expect(client.Properties).toMatchObject({
        GenerateSecret: false,
        AllowedOAuthFlows: ["code"],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: PORTAL_SCOPE.split(" "),
        CallbackURLs: [portalUrlWith(synth, SIGN_IN_CALLBACK_PATH)],
        LogoutURLs: [portalUrlWith(synth, "/")],
        AccessTokenValidity: minutes(ACCESS_TOKEN_VALIDITY),
        RefreshTokenValidity: minutes(REFRESH_TOKEN_VALIDITY),
        TokenValidityUnits: { AccessToken: "minutes", RefreshToken: "minutes" },
        SupportedIdentityProviders: ["COGNITO"],
      });
      expect(ACCESS_TOKEN_VALIDITY.toHours()).toBe(1);
    });

    it("signs in only through the managed login: no SRP, password or custom flow on the user pools API", () => {
      const client = onlyResource(synth, "AWS::Cognito::UserPoolClient");

      // Left out, Cognito would allow SRP and custom auth, whose tokens may edit their own user.
      expect(client.Properties.ExplicitAuthFlows).toEqual(["ALLOW_REFRESH_TOKEN_AUTH"]);
      expect(PORTAL_SCOPE.split(" ")).not.toContain("aws.cognito.signin.user.admin");
    });

    it("lets no user change their own email, and keeps a changed address from counting until it is confirmed", () => {
      const client = onlyResource(synth, "AWS::Cognito::UserPoolClient");
      const writable = client.Properties.WriteAttributes as string[];

      // An empty or missing list would mean every standard attribute, email included.
      expect(writable.length).toBeGreaterThan(0);
      for (const trusted of ["email", "email_verified", "name"]) expect(writable).not.toContain(trusted);
      expect(onlyResource(synth, "AWS::Cognito::UserPool").Properties.UserAttributeUpdateSettings).toEqual({
        AttributesRequireVerificationBeforeUpdate: ["email"],
      });
    });

    it("trusts no provider's addresses wholesale when none is configured", () => {
      expect(triggerEnvironmentOf(synth)[TRUSTED_EMAIL_PROVIDER]).toBeUndefined();
    });
  });

  describe("the API", () => {
    it("puts the JWT authorizer of the pool and the portal's client on exactly the routes whose contract admits groups", () => {
      const [[authorizerId, authorizer] = []] = resourcesOfType(synth, "AWS::ApiGatewayV2::Authorizer");
      expect(authorizer?.Properties).toMatchObject({
        AuthorizerType: "JWT",
        IdentitySource: ["$request.header.Authorization"],
        JwtConfiguration: {
          Issuer: { "Fn::GetAtt": [synth.logicalIdOf(synth.stack.signIn.userPool), "ProviderURL"] },
          Audience: [{ Ref: synth.logicalIdOf(synth.stack.signIn.client) }],
        },
      });
      const signedInKeys = new Set(
        API_ROUTES.filter((route) => groupsAdmittedTo(route) !== undefined).map(
          (route) => `${route.method.toUpperCase()} ${route.path}`,
        ),
      );
      const routes = resourcesOfType(synth, "AWS::ApiGatewayV2::Route").map(([, route]) => route.Properties);
      expect(routes.length).toBe(services.flatMap((service) => service.http?.routes ?? []).length);
      for (const route of routes) {
        const key = String(route.RouteKey);
        if (signedInKeys.has(key)) {
          expect(route, key).toMatchObject({ AuthorizationType: "JWT", AuthorizerId: { Ref: authorizerId } });
        } else {
          expect(route.AuthorizationType, key).toBe("NONE");
        }
      }
      const served = new Set(routes.map((route) => String(route.RouteKey)));
      expect(routes.filter((route) => route.AuthorizationType === "JWT").length).toBeGreaterThan(0);
      expect(
        [...signedInKeys]
          .filter((key) => key.startsWith("GET /api/requests"))
          .every((key) => served.has(key)),
      ).toBe(true);
    });

    it("tells the services that check tokens where to check them", () => {
      const issuer = { "Fn::GetAtt": [synth.logicalIdOf(synth.stack.signIn.userPool), "ProviderURL"] };
      for (const service of synth.stack.services) {
        if (!service.manifest.http?.routes.some((route) => route.signedIn)) continue;
        for (const fn of service.functions.values()) {
          const variables = (
            synth.template.toJSON().Resources[synth.logicalIdOf(fn.function)].Properties.Environment as {
              Variables: Record<string, unknown>;
            }
          ).Variables;
          expect(variables, service.name).toMatchObject({
            AUTH_ISSUER: issuer,
            AUTH_AUDIENCE: { Ref: synth.logicalIdOf(synth.stack.signIn.client) },
            AUTH_JWKS_URL: { "Fn::Join": ["", [issuer, "/.well-known/jwks.json"]] },
          });
        }
      }
    });

    it("leaves decisions to links alone unless the deployment asks for sign-in", () => {
      synth.template.hasResourceProperties("AWS::Lambda::Function", {
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_SERVICE_NAME: "decision",
            DECISIONS_REQUIRE_SIGN_IN: "false",
          }),
        },
      });
    });
  });

  describe("reached only through CloudFront", () => {
    it("sends CloudFront's secret header to the API, and gives it to every HTTP function and to no other", () => {
      const secret = synth.stack.node.findChild("OriginVerify");
      const secretValue = {
        "Fn::Join": [
          "",
          ["{{resolve:secretsmanager:", { Ref: synth.logicalIdOf(secret) }, ":SecretString:::}}"],
        ],
      };
      const distribution = onlyResource(synth, "AWS::CloudFront::Distribution");
      const origins = (
        distribution.Properties.DistributionConfig as {
          Origins: {
            DomainName: unknown;
            OriginCustomHeaders?: { HeaderName: string; HeaderValue: unknown }[];
          }[];
        }
      ).Origins;
      const apiOrigin = origins.find((origin) => JSON.stringify(origin.DomainName).includes(".execute-api."));
      expect(apiOrigin?.OriginCustomHeaders).toEqual([
        { HeaderName: ORIGIN_VERIFY_HEADER, HeaderValue: secretValue },
      ]);

      const httpHandlers = new Set(
        synth.stack.services.flatMap((service) =>
          service.manifest.http ? [service.functions.get("http-handler")] : [],
        ),
      );
      expect(httpHandlers.size).toBe(services.filter((service) => service.http).length);
      for (const service of synth.stack.services) {
        for (const [id, fn] of service.functions) {
          const variables = (
            synth.template.toJSON().Resources[synth.logicalIdOf(fn.function)].Properties.Environment as {
              Variables: Record<string, unknown>;
            }
          ).Variables;
          expect(variables.ORIGIN_VERIFY_SECRET, `${service.name}/${id}`).toEqual(
            httpHandlers.has(fn) ? secretValue : undefined,
          );
        }
      }
    });

    it("has every HTTP function's entry refuse requests that did not come through CloudFront", () => {
      for (const service of services) {
        if (!service.http) continue;
        const entry = readFileSync(join(REPO_ROOT, service.http.handler.entry), "utf8");
        // Traced and measured (middy), but the app itself only behind the CloudFront check.
        expect(entry, service.name).toMatch(/export const handler = middy\(handleBehindCloudFront\(app\)\)/);
      }
    });
  });

  describe("no decision token in any log", () => {
    it("keeps CloudFront's legacy standard log off: it records every query string", () => {
      const config = onlyResource(synth, "AWS::CloudFront::Distribution").Properties.DistributionConfig as {
        Logging?: unknown;
      };
      expect(config.Logging).toBeUndefined();
    });

    it("logs CloudFront's requests (v2) without query strings, cookies or referrers, from us-east-1", () => {
      const source = onlyResource(synth, "AWS::Logs::DeliverySource");
      const destination = onlyResource(synth, "AWS::Logs::DeliveryDestination");
      const delivery = onlyResource(synth, "AWS::Logs::Delivery");
      const fields = delivery.Properties.RecordFields as string[];

      expect(fields).toEqual([...PORTAL_LOG_FIELDS]);
      for (const withheld of ["cs-uri-query", "cs(Cookie)", "cs(Referer)"])
        expect(fields).not.toContain(withheld);
      expect(fields).toEqual(
        expect.arrayContaining(["date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status"]),
      );
      expect(source.Properties).toMatchObject({
        LogType: "ACCESS_LOGS",
        ResourceArn: expect.objectContaining({ "Fn::Join": expect.anything() }),
      });
      expect(JSON.stringify(source.Properties.ResourceArn)).toContain(
        synth.logicalIdOf(synth.stack.portal.distribution),
      );
      expect(delivery.Properties).toMatchObject({
        DeliverySourceName: source.Properties.Name,
        DeliveryDestinationArn: { "Fn::GetAtt": [expect.any(String), "Arn"] },
      });
      expect(JSON.stringify(destination.Properties.DestinationResourceArn)).toContain(
        `/${PORTAL_LOG_PREFIX}`,
      );

      // CloudFront's logging is set up through CloudWatch Logs in us-east-1 only: elsewhere, none of it.
      const conditions = synth.template.toJSON().Conditions as Record<string, unknown>;
      for (const resource of [source, destination, delivery]) {
        const condition = (resource as { Condition?: string }).Condition;
        expect(condition && conditions[condition]).toEqual({
          "Fn::Equals": [{ Ref: "AWS::Region" }, "us-east-1"],
        });
      }
    });

    it("lets CloudWatch Logs' delivery write CloudFront's logs under their prefix only, from this account's delivery source", () => {
      const statements = resourcesOfType(synth, "AWS::S3::BucketPolicy").flatMap(
        ([, policy]) =>
          (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
      );
      const delivery = statements.filter(
        (statement) =>
          JSON.stringify(statement.Principal) === JSON.stringify({ Service: "delivery.logs.amazonaws.com" }),
      );

      expect(delivery).toHaveLength(1);
      expect(delivery[0]).toMatchObject({ Effect: "Allow", Action: "s3:PutObject" });
      expect(JSON.stringify(delivery[0]?.Resource)).toContain(`/${PORTAL_LOG_PREFIX}/*`);
      expect(delivery[0]?.Condition).toMatchObject({
        StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } },
      });
      expect(JSON.stringify(delivery[0]?.Condition)).toContain(":logs:us-east-1:");
    });

    it("logs the API's route, never its path or query string", () => {
      const stage = onlyResource(synth, "AWS::ApiGatewayV2::Stage");
      const format = JSON.parse((stage.Properties.AccessLogSettings as { Format: string }).Format) as Record<
        string,
        string
      >;
      expect(format.routeKey).toBe("$context.routeKey");
      for (const variable of Object.values(format)) {
        expect(variable).not.toMatch(/querystring|\$request\.|\$context\.path|\$context\.requestOverride/i);
      }
    });

    it("has the services that handle links log no token and no link", () => {
      const sourcesOf = (directory: string): string[] =>
        readdirSync(join(REPO_ROOT, directory), { withFileTypes: true, recursive: true })
          .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts"))
          .map((entry) => join(entry.parentPath, entry.name));
      const logCalls = ["services/decision", "services/approval-mail"]
        .flatMap(sourcesOf)
        .flatMap((file) => readFileSync(file, "utf8").match(/logger\.\w+\([^;]*?\);/gs) ?? []);
      expect(logCalls.length).toBeGreaterThan(0);
      // What is logged, not the message's words: string literals out, then no token, link or URL among the values.
      const valuesOf = (call: string) => call.replace(/"[^"]*"|'[^']*'|`[^`]*`/g, '""');
      const mentionsATokenOrLink = logCalls.filter((call) =>
        /\b(token|rawToken|link|links|url|href)\b/i.test(valuesOf(call)),
      );
      expect(mentionsATokenOrLink).toEqual([]);
      const everyService = sourcesOf("services").map((file) => readFileSync(file, "utf8"));
      expect(everyService.filter((source) => /logEvent:\s*true/.test(source))).toEqual([]);
    });
  });

  describe("the portal's configuration", () => {
    it("deploys /config.json with the pool's issuer and the portal's client, and never caches it", () => {
      const deployment = onlyResource(synth, "Custom::CDKBucketDeployment").Properties as {
        SourceObjectKeys: string[];
        SourceMarkers: Record<string, unknown>[];
      };
      const markers = Object.fromEntries(
        deployment.SourceMarkers.flatMap((markerSet) => Object.entries(markerSet)).map(([marker, value]) => [
          marker,
          JSON.stringify(value),
        ]),
      );
      const configFiles = deployment.SourceObjectKeys.map((key) =>
        join(synth.outdir, `asset.${key.replace(/\.zip$/, "")}`, PORTAL_CONFIG_PATH),
      ).filter((file) => {
        try {
          return readFileSync(file, "utf8").length > 0;
        } catch {
          return false;
        }
      });
      expect(configFiles).toHaveLength(1);
      const config = portalConfigSchema.parse(
        JSON.parse(
          readFileSync(configFiles[0] as string, "utf8").replace(
            /<<marker:[^>]+>>/g,
            (marker) => `https://marker.invalid/${encodeURIComponent(markers[marker] ?? "unknown")}`,
          ),
        ),
      );
      const referenced = (value: string) => decodeURIComponent(value.replace("https://marker.invalid/", ""));
      expect(referenced(config.signIn.authority)).toBe(
        JSON.stringify({ "Fn::GetAtt": [synth.logicalIdOf(synth.stack.signIn.userPool), "ProviderURL"] }),
      );
      expect(referenced(config.signIn.clientId)).toBe(
        JSON.stringify({ Ref: synth.logicalIdOf(synth.stack.signIn.client) }),
      );
      expect(config.signIn.scope).toBe(PORTAL_SCOPE);

      const behaviors = (
        onlyResource(synth, "AWS::CloudFront::Distribution").Properties.DistributionConfig as {
          CacheBehaviors: { PathPattern: string; CachePolicyId: string }[];
        }
      ).CacheBehaviors;
      expect(behaviors.find((behavior) => behavior.PathPattern === PORTAL_CONFIG_PATH)?.CachePolicyId).toBe(
        CachePolicy.CACHING_DISABLED.cachePolicyId,
      );
    });
  });

  describe("the bus", () => {
    const outsider = { principal: "arn:aws:iam::999988887777:role/someone", account: "999988887777" };

    it("denies every statement's puts to any principal, on the approvals bus only", () => {
      const denies = busStatements(synth).filter((statement) => statement.Effect === "Deny");
      expect(denies.length).toBeGreaterThan(0);
      for (const statement of denies) {
        expect(statement, statement.Sid).toMatchObject({
          Principal: { AWS: "*" },
          Action: "events:PutEvents",
          Resource: { "Fn::GetAtt": [synth.logicalIdOf(synth.stack.bus), "Arn"] },
        });
      }
      expect(busStatements(synth).filter((statement) => statement.Effect === "Allow")).toEqual([]);
    });

    it("has a statement of its own for each source the manifests publish under", () => {
      const ownSources = [...new Set(services.flatMap(sourcesPublishedBy))].sort();

      expect(ownSources).toEqual([
        "approvals.approval-mail",
        "approvals.decision",
        "approvals.delegation",
        "approvals.ec2-launcher",
        "approvals.intake",
        "approvals.lease",
        "approvals.notifier",
        "approvals.rds-launcher",
        "approvals.s3-launcher",
      ]);
      for (const source of ownSources) {
        expect(statementNamed(synth, `OwnSource-${source.replaceAll(".", "-")}`)?.Condition, source).toEqual({
          StringEquals: { "events:source": source },
          ArnNotEquals: { "aws:PrincipalArn": rolesPublishingUnder(synth, source) },
        });
      }
    });

    it("lets each service's functions publish under its own sources, and no other service's", () => {
      for (const service of synth.stack.services) {
        for (const fn of service.functions.values()) {
          const principal = roleOf(synth, fn.role);
          for (const source of new Set(services.flatMap(sourcesPublishedBy))) {
            const denied = deniedBy(synth, { principal, account: "123456789012", source, detailType: "Any" });
            const own = sourcesPublishedBy(service.manifest).includes(source);
            expect(denied.length > 0, `${service.name} under ${source}`).toBe(!own);
          }
        }
      }
    });

    it("denies anyone the flow's sources, other approvals.* sources and AWS's", () => {
      const intake = roleOf(synth, [...serviceNamed(synth, "intake").functions.values()][0]?.role);
      for (const [source, sid] of [
        ["approvals.decision", "OwnSource-approvals-decision"],
        ["approvals.audit", "NoOtherFlowSource"],
        ["approvals.anything", "NoOtherFlowSource"],
        ["aws.ec2", "NoAwsSource"],
      ] as const) {
        expect(deniedBy(synth, { ...outsider, source, detailType: "RequestApproved" }), source).toContain(
          sid,
        );
      }
      expect(
        deniedBy(synth, { principal: intake, account: "123456789012", source: "aws.ec2", detailType: "X" }),
      ).toEqual(["NoAwsSource"]);
      expect(statementNamed(synth, "NoOtherFlowSource")?.Condition.StringLike).toEqual({
        "events:source": OWN_SOURCES,
      });
      expect(statementNamed(synth, "NoAwsSource")?.Condition).toEqual({
        StringLike: { "events:source": AWS_SOURCES },
      });
    });

    it("denies ResourceRequested to everyone but the functions that publish it, with no publisher listed", () => {
      const intakeRoles = rolesOfFunctionsPublishing(synth, ResourceRequested.detailType);
      expect(intakeRoles.length).toBeGreaterThan(0);
      expect(statementNamed(synth, "OnlyPublishersAskForResources")?.Condition).toEqual({
        StringEquals: { "events:detail-type": ResourceRequested.detailType },
        ArnNotEquals: { "aws:PrincipalArn": intakeRoles },
      });
      expect(
        deniedBy(synth, { ...outsider, source: "ci.pipeline", detailType: ResourceRequested.detailType }),
      ).toEqual(["OnlyPublishersAskForResources"]);
    });

    it("lets only intake's HTTP function ask for resources, not intake's other functions", () => {
      const intake = serviceNamed(synth, "intake");
      const httpHandler = intake.manifest.http?.handler;
      if (!httpHandler) throw new Error("intake serves no HTTP");
      const asks = (fn: HandlerFunction) =>
        deniedBy(synth, {
          principal: roleOf(synth, fn.role),
          account: "123456789012",
          source: "approvals.intake",
          detailType: ResourceRequested.detailType,
        });
      const others = [...intake.functions].filter(([id]) => id !== functionIdOf(httpHandler));
      expect(others.length).toBeGreaterThan(0);
      expect(asks(intake.functions.get(functionIdOf(httpHandler)) as HandlerFunction)).toEqual([]);
      for (const [id, fn] of others) expect(asks(fn), id).toEqual(["OnlyPublishersAskForResources"]);
    });
  });
});

describe("sign-in and access with a deployment's own publishers and identity provider", () => {
  let synth: SynthesizedStack;
  const account = "111122223333";
  const role = "arn:aws:iam::444455556666:role/ci-publisher";
  const boundSource = "acme.ci";
  const boundRole = "arn:aws:iam::777788889999:role/acme-ci";
  const boundAccount = "555566667777";
  const provider = {
    type: "oidc",
    name: "Corporate",
    issuerUrl: "https://login.example.com",
    clientId: "approvals-portal",
    clientSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:approvals-oidc-AbCdEf",
  };

  beforeAll(() => {
    synth = synthesize({
      publishers: `${account},${role},${boundSource}=${boundRole},${boundSource}=${boundAccount}`,
      identityProvider: JSON.stringify(provider),
      decisionsRequireSignIn: "true",
    });
  });

  afterAll(() => synth.cleanUp());

  it("passes cdk-nag with no unacknowledged finding", () => {
    expect(synth.nagFindings).toEqual([]);
  });

  it("lets the listed publishers put ResourceRequested under sources of their own, and denies it to anyone else", () => {
    expect(statementNamed(synth, "PublishersAskForResources")).toEqual(
      expect.objectContaining({
        Effect: "Allow",
        Principal: {
          AWS: [
            { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, `:iam::${account}:root`]] },
            { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, `:iam::${boundAccount}:root`]] },
            role,
            boundRole,
          ],
        },
        Action: "events:PutEvents",
        Condition: {
          StringEquals: { "events:detail-type": ResourceRequested.detailType },
          StringNotLike: { "events:source": [OWN_SOURCES, AWS_SOURCES] },
        },
      }),
    );
    expect(statementNamed(synth, "OnlyPublishersAskForResources")?.Condition).toEqual({
      StringEquals: { "events:detail-type": ResourceRequested.detailType },
      ArnNotEquals: {
        "aws:PrincipalArn": [
          ...rolesOfFunctionsPublishing(synth, ResourceRequested.detailType),
          role,
          boundRole,
        ],
      },
      StringNotEquals: { "aws:PrincipalAccount": [account, boundAccount] },
    });
    const asks = (principal: string, source: string) =>
      deniedBy(synth, {
        principal,
        account: principal.split(":")[4] ?? "",
        source,
        detailType: ResourceRequested.detailType,
      });
    expect(asks(role, "ci.pipeline")).toEqual([]);
    expect(asks(`arn:aws:iam::${account}:role/any-role-of-that-account`, "ci.pipeline")).toEqual([]);
    expect(asks("arn:aws:iam::999988887777:role/someone", "ci.pipeline")).toEqual([
      "OnlyPublishersAskForResources",
    ]);
    expect(asks(role, "approvals.intake")).toContain("OwnSource-approvals-intake");
    expect(asks(role, "aws.ec2")).toContain("NoAwsSource");
  });

  it("keeps a bound source to its own publishers, so the event's source names who put it", () => {
    expect(statementNamed(synth, `PublisherSource1-${boundSource.replaceAll(".", "-")}`)?.Condition).toEqual({
      StringEquals: { "events:source": boundSource },
      ArnNotEquals: { "aws:PrincipalArn": [boundRole] },
      StringNotEquals: { "aws:PrincipalAccount": [boundAccount] },
    });
    const asks = (principal: string, source: string) =>
      deniedBy(synth, {
        principal,
        account: principal.split(":")[4] ?? "",
        source,
        detailType: ResourceRequested.detailType,
      });
    expect(asks(boundRole, boundSource)).toEqual([]);
    expect(asks(`arn:aws:iam::${boundAccount}:role/build`, boundSource)).toEqual([]);
    expect(asks(role, boundSource)).toEqual([`PublisherSource1-${boundSource.replaceAll(".", "-")}`]);
    expect(asks(`arn:aws:iam::${account}:role/build`, boundSource)).toEqual([
      `PublisherSource1-${boundSource.replaceAll(".", "-")}`,
    ]);
    // A plain publisher still asks under any source of its own choosing, and so does a bound one.
    expect(asks(role, "ci.pipeline")).toEqual([]);
    expect(asks(boundRole, "another.source")).toEqual([]);
  });

  it("maps the OpenID Provider's email_verified, lets Cognito write exactly the mapped attributes, and trusts no address wholesale", () => {
    const [[, federation] = []] = resourcesOfType(synth, "AWS::Cognito::UserPoolIdentityProvider");
    const mapping = federation?.Properties.AttributeMapping as Record<string, string>;

    expect(mapping).toEqual({ email: "email", email_verified: "email_verified", name: "name" });
    const writable = onlyResource(synth, "AWS::Cognito::UserPoolClient").Properties
      .WriteAttributes as string[];
    expect([...writable].sort()).toEqual(Object.keys(mapping).sort());
    expect(triggerEnvironmentOf(synth)[TRUSTED_EMAIL_PROVIDER]).toBeUndefined();
  });

  it("offers the organization's OpenID Provider on the sign-in page, its client secret read at deploy time", () => {
    synth.template.hasResourceProperties("AWS::Cognito::UserPoolIdentityProvider", {
      ProviderName: provider.name,
      ProviderType: "OIDC",
      ProviderDetails: Match.objectLike({
        client_id: provider.clientId,
        client_secret: `{{resolve:secretsmanager:${provider.clientSecretArn}:SecretString:::}}`,
        oidc_issuer: provider.issuerUrl,
        authorize_scopes: PORTAL_SCOPE,
      }),
      AttributeMapping: Match.objectLike({ email: "email", name: "name" }),
    });
    const [providerId] = Object.keys(synth.template.findResources("AWS::Cognito::UserPoolIdentityProvider"));
    synth.template.hasResourceProperties("AWS::Cognito::UserPoolClient", {
      SupportedIdentityProviders: ["COGNITO", { Ref: providerId }],
    });
  });

  it("makes link decisions require sign-in when the deployment asks", () => {
    synth.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: "decision",
          DECISIONS_REQUIRE_SIGN_IN: "true",
        }),
      },
    });
  });
});

describe("sign-in through a SAML provider whose addresses the operator vouches for", () => {
  let synth: SynthesizedStack;
  const provider = {
    type: "saml",
    name: "Corporate",
    metadataUrl: "https://login.example.com/federationmetadata.xml",
    trustEmails: true,
  };

  beforeAll(() => {
    synth = synthesize({ identityProvider: JSON.stringify(provider) });
  });

  afterAll(() => synth.cleanUp());

  it("passes cdk-nag with no unacknowledged finding", () => {
    expect(synth.nagFindings).toEqual([]);
  });

  it("tells the token trigger to take that provider's addresses, and lets Cognito write only the mapped email and name", () => {
    const [[, federation] = []] = resourcesOfType(synth, "AWS::Cognito::UserPoolIdentityProvider");
    const mapping = federation?.Properties.AttributeMapping as Record<string, string>;

    expect(federation?.Properties.ProviderType).toBe("SAML");
    expect(Object.keys(mapping).sort()).toEqual(["email", "name"]);
    const writable = onlyResource(synth, "AWS::Cognito::UserPoolClient").Properties
      .WriteAttributes as string[];
    expect([...writable].sort()).toEqual(["email", "name"]);
    expect(triggerEnvironmentOf(synth)[TRUSTED_EMAIL_PROVIDER]).toBe(provider.name);
  });
});
