import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Match } from "aws-cdk-lib/assertions";
import { CachePolicy } from "aws-cdk-lib/aws-cloudfront";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GROUPS, groupsAdmittedTo } from "../../api/access.ts";
import { API_ROUTES } from "../../api/contract.ts";
import { PORTAL_CONFIG_PATH, PORTAL_SCOPE, portalConfigSchema } from "../../api/portal-config.ts";
import { ResourceRequested } from "../../events/resource-requested.ts";
import { TIMEOUTS } from "../../infra/aws/constructs/handler-function.ts";
import {
  ACCESS_TOKEN_VALIDITY,
  REFRESH_TOKEN_VALIDITY,
  SIGN_IN_CALLBACK_PATH,
} from "../../infra/aws/constructs/sign-in.ts";
import { REPO_ROOT } from "../../infra/aws/paths.ts";
import { OWN_SOURCES } from "../../infra/aws/stack.ts";
import { services } from "../../services/registry.ts";
import { ORIGIN_VERIFY_HEADER } from "../../services/shared/behind-cloudfront.ts";
import { type SynthesizedStack, synthesize } from "./synth.ts";

type Resource = { Type: string; Properties: Record<string, unknown> };
type BusStatement = {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal: unknown;
  Action: string;
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

/** The roles of the stack's functions whose service publishes an event `publishes` accepts, as the template refers to them. */
const rolesOfServicesThat = (synth: SynthesizedStack, publishes: (detailType: string) => boolean) =>
  synth.stack.services
    .filter((service) => service.manifest.publishes.some(({ contract }) => publishes(contract.detailType)))
    .flatMap((service) => [...service.functions.values()])
    .map((fn) => ({ "Fn::GetAtt": [synth.logicalIdOf(fn.role), "Arn"] }));

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
      expect(client.Properties.ExplicitAuthFlows).toContain("ALLOW_REFRESH_TOKEN_AUTH");
      expect(client.Properties.ExplicitAuthFlows).not.toContain("ALLOW_USER_PASSWORD_AUTH");
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
        expect(entry, service.name).toMatch(/export const handler = handleBehindCloudFront\(app\)/);
      }
    });
  });

  describe("no decision token in any log", () => {
    it("keeps no CloudFront standard log, which would record the links' query strings", () => {
      const config = onlyResource(synth, "AWS::CloudFront::Distribution").Properties.DistributionConfig as {
        Logging?: unknown;
      };
      expect(config.Logging).toBeUndefined();
      expect(resourcesOfType(synth, "AWS::Logs::Delivery")).toEqual([]);
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
    it("denies the flow's own sources to everyone but the stack's publishing functions", () => {
      const statement = statementNamed(synth, "OnlyTheFlowPublishesItsOwnEvents");
      expect(statement).toMatchObject({
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "events:PutEvents",
        Condition: {
          StringLike: { "events:source": OWN_SOURCES },
          ArnNotEquals: { "aws:PrincipalArn": rolesOfServicesThat(synth, () => true) },
        },
      });
      expect(OWN_SOURCES).toBe("approvals.*");
    });

    it("denies ResourceRequested to everyone but the functions that publish it, with no publisher listed", () => {
      const intakeRoles = rolesOfServicesThat(synth, (type) => type === ResourceRequested.detailType);
      expect(intakeRoles.length).toBeGreaterThan(0);
      expect(statementNamed(synth, "OnlyPublishersAskForResources")).toEqual(
        expect.objectContaining({
          Effect: "Deny",
          Principal: { AWS: "*" },
          Condition: {
            StringEquals: { "events:detail-type": ResourceRequested.detailType },
            ArnNotEquals: { "aws:PrincipalArn": intakeRoles },
          },
        }),
      );
      expect(busStatements(synth).filter((statement) => statement.Effect === "Allow")).toEqual([]);
    });
  });
});

describe("sign-in and access with a deployment's own publishers and identity provider", () => {
  let synth: SynthesizedStack;
  const account = "111122223333";
  const role = "arn:aws:iam::444455556666:role/ci-publisher";
  const provider = {
    type: "oidc",
    name: "Corporate",
    issuerUrl: "https://login.example.com",
    clientId: "approvals-portal",
    clientSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:approvals-oidc-AbCdEf",
  };

  beforeAll(() => {
    synth = synthesize({
      publishers: `${account},${role}`,
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
          AWS: [{ "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, `:iam::${account}:root`]] }, role],
        },
        Action: "events:PutEvents",
        Condition: {
          StringEquals: { "events:detail-type": ResourceRequested.detailType },
          StringNotLike: { "events:source": OWN_SOURCES },
        },
      }),
    );
    expect(statementNamed(synth, "OnlyPublishersAskForResources")?.Condition).toEqual({
      StringEquals: { "events:detail-type": ResourceRequested.detailType },
      ArnNotEquals: {
        "aws:PrincipalArn": [
          ...rolesOfServicesThat(synth, (type) => type === ResourceRequested.detailType),
          role,
        ],
      },
      StringNotEquals: { "aws:PrincipalAccount": [account] },
    });
    expect(statementNamed(synth, "OnlyTheFlowPublishesItsOwnEvents")?.Effect).toBe("Deny");
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
