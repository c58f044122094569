import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, CfnResource, type ITaggable, Stack, TagManager } from "aws-cdk-lib";
import { HttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Portal, PortalSourceMapsError } from "../../infra/aws/constructs/portal.ts";
import {
  DEFAULT_WAF_RATE_LIMIT,
  DeploymentContextError,
  placeholderAddressesOf,
  readDeploymentContext,
  stackNameOf,
} from "../../infra/aws/context.ts";
import { REPO_ROOT } from "../../infra/aws/paths.ts";
import { PORTAL_STYLESHEET } from "../../portal/src/style.ts";
import { services } from "../../services/registry.ts";
import { cdkJsonContext, type SynthesizedStack, synthesize } from "./synth.ts";

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Template = {
  Resources: Record<string, Resource>;
  Parameters?: Record<string, unknown>;
  Rules?: unknown;
};

/** What cdk.json and `-c` give synth: cdk.json's context with `overrides` on top. */
const contextWith = (overrides: Record<string, unknown>) => {
  const context: Record<string, unknown> = { ...cdkJsonContext(), ...overrides };
  return readDeploymentContext({ tryGetContext: (key: string) => context[key] });
};

/** The main template and its nested stacks' (the alarms'), as the assembly holds them. */
const templatesOf = ({ stack, outdir }: SynthesizedStack): Map<Stack, Template> => {
  const stacks = [
    stack,
    ...stack.node.findAll().filter((construct) => construct instanceof Stack),
  ] as Stack[];
  return new Map(
    [...new Set(stacks)].map((each) => [
      each,
      JSON.parse(readFileSync(join(outdir, each.templateFile), "utf8")) as Template,
    ]),
  );
};

/**
 * Properties (`Key`, or `Type.Key`) ending in `Name` that name no resource of an account and region: a
 * name within the resource or its parent (a key, an index, an inline policy of a role, a pool's group,
 * an API's authorizer), a reference to another resource (a rule's bus), or a metric's.
 */
const NOT_RESOURCE_NAMES = new Set([
  "AWS::ApiGatewayV2::Authorizer.Name",
  "AttributeName",
  "IndexName",
  "StageName",
  "AuthorizerName",
  "GroupName",
  "PolicyName",
  "EventBusName",
  "MetricName",
]);

/**
 * Every name the template fixes for a resource (a literal, or built of literals and the account or
 * region), as `Type.Key=value`: the names that two deployments in one account and region must not share.
 */
const fixedNamesOf = (templates: Iterable<Template>): string[] =>
  [...templates].flatMap((template) =>
    Object.values(template.Resources).flatMap(({ Type, Properties = {} }) =>
      Object.entries({
        ...Properties,
        ...(Properties.ResponseHeadersPolicyConfig as Record<string, unknown> | undefined),
      })
        .filter(
          ([key]) =>
            /Name$|^Domain$|^EmailIdentity$/.test(key) &&
            !NOT_RESOURCE_NAMES.has(key) &&
            !NOT_RESOURCE_NAMES.has(`${Type}.${key}`),
        )
        .filter(
          ([, value]) =>
            typeof value === "string" || (value !== null && typeof value === "object" && "Fn::Join" in value),
        )
        .map(([key, value]) => `${Type}.${key}=${JSON.stringify(value)}`),
    ),
  );

/** CDK names a resource's tag property as its L1 props do (`userPoolTags`); the template capitalizes it. */
const cfnPropertyOf = (name: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}`;

/** A resource's tags as the template writes them: a list of Key/Value, or a map. */
const tagsIn = (value: unknown): Record<string, unknown> =>
  Array.isArray(value)
    ? Object.fromEntries((value as { Key: string; Value: unknown }[]).map(({ Key, Value }) => [Key, Value]))
    : ((value ?? {}) as Record<string, unknown>);

describe("stages: dev and prod in one account and region", () => {
  const dev = { stage: "dev", sender: "approvals-dev@acme.io", tags: { CostCenter: "1234" }, waf: true };
  // The stack makes no SES identity for a sender another stage owns: each stage has an address of its own.
  const prod = {
    stage: "prod",
    sender: "approvals@acme.io",
    webAclArn:
      "arn:aws:wafv2:us-east-1:123456789012:global/webacl/corporate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
  };
  let devSynth: SynthesizedStack;
  let prodSynth: SynthesizedStack;

  beforeAll(() => {
    // In us-east-1, where the stack may make the portal's web ACL itself.
    devSynth = synthesize(dev, undefined, "us-east-1", stackNameOf(dev));
    prodSynth = synthesize(prod, undefined, "us-east-1", stackNameOf(prod));
  });

  afterAll(() => {
    devSynth.cleanUp();
    prodSynth.cleanUp();
  });

  it("names each stack after its stage", () => {
    expect(devSynth.stack.stackName).toBe("dev-ResourceApprovals");
    expect(prodSynth.stack.stackName).toBe("prod-ResourceApprovals");
    expect(stackNameOf({})).toBe("ResourceApprovals");
  });

  it("gives the two stages no fixed name in common: bus, sign-in domain, log deliveries, alarms, dashboard", () => {
    const devNames = fixedNamesOf(templatesOf(devSynth).values());
    const prodNames = fixedNamesOf(templatesOf(prodSynth).values());

    expect(devNames.filter((name) => prodNames.includes(name))).toEqual([]);
    expect(devNames).toContain('AWS::Events::EventBus.Name="dev-approvals"');
    expect(prodNames).toContain('AWS::Events::EventBus.Name="prod-approvals"');
    expect(devNames.find((name) => name.startsWith("AWS::Cognito::UserPoolDomain.Domain"))).toContain(
      "dev-approvals-",
    );
  });

  it("passes cdk-nag with the stack's own web ACL and with one of yours", () => {
    expect(devSynth.nagFindings).toEqual([]);
    expect(prodSynth.nagFindings).toEqual([]);
  });

  it("tags every taggable resource, nested stacks' too, with the application, the stage, cdk and the context's tags", () => {
    for (const [stack, template] of templatesOf(devSynth)) {
      const taggable = stack.node
        .findAll()
        .filter(
          (construct): construct is CfnResource & ITaggable =>
            construct instanceof CfnResource &&
            Stack.of(construct) === stack &&
            TagManager.isTaggable(construct),
        );
      expect(taggable.length, stack.stackName).toBeGreaterThan(0);
      for (const resource of taggable) {
        const { Properties = {} } = template.Resources[stack.getLogicalId(resource)] ?? {};
        expect(
          tagsIn(Properties[cfnPropertyOf(resource.tags.tagPropertyName)]),
          resource.node.path,
        ).toMatchObject({
          Application: "resource-approvals",
          Stage: "dev",
          ManagedBy: "cdk",
          CostCenter: "1234",
        });
      }
    }
  });

  it("puts the stack's web ACL in front of the distribution: a rate limit per IP, then AWS's common rules", () => {
    const template = templatesOf(devSynth).get(devSynth.stack) as Template;
    const [[webAclId, webAcl]] = Object.entries(template.Resources).filter(
      ([, resource]) => resource.Type === "AWS::WAFv2::WebACL",
    ) as [[string, Resource]];
    expect(webAcl.Properties).toMatchObject({
      Scope: "CLOUDFRONT",
      DefaultAction: { Allow: {} },
      Rules: [
        {
          Priority: 0,
          Action: { Block: {} },
          Statement: { RateBasedStatement: { Limit: DEFAULT_WAF_RATE_LIMIT, AggregateKeyType: "IP" } },
        },
        {
          Priority: 1,
          OverrideAction: { None: {} },
          Statement: {
            ManagedRuleGroupStatement: { VendorName: "AWS", Name: "AWSManagedRulesCommonRuleSet" },
          },
        },
      ],
    });
    devSynth.template.hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: { WebACLId: { "Fn::GetAtt": [webAclId, "Arn"] } },
    });
  });

  it("associates the web ACL the context names, and makes none", () => {
    prodSynth.template.resourceCountIs("AWS::WAFv2::WebACL", 0);
    prodSynth.template.hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: { WebACLId: prod.webAclArn },
    });
  });

  it("refuses to make a web ACL where CloudFront cannot take it: a stack outside us-east-1, or of unknown region", () => {
    for (const region of ["eu-west-1", undefined]) {
      expect(() => synthesize({ ...dev, waf: false, wafRateLimit: 500 }, undefined, region)).toThrow(
        DeploymentContextError,
      );
    }
  });
});

describe("the portal's response headers", () => {
  let synth: SynthesizedStack;

  beforeAll(() => {
    synth = synthesize({ stage: "dev", sender: "approvals-dev@acme.io" });
  });

  afterAll(() => synth.cleanUp());

  it("sends a CSP of the portal's own scripts, its stylesheet by hash, calls to itself and the sign-in, and no framing", () => {
    const [policy] = Object.values(synth.template.findResources("AWS::CloudFront::ResponseHeadersPolicy"));
    const csp = synth.stack.resolve(
      policy?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy,
    );
    const text = JSON.stringify(csp.ContentSecurityPolicy);
    // The sign-in the portal calls: the issuer's host, and the user pool's own domain.
    const [domain] = Object.values(synth.template.findResources("AWS::Cognito::UserPoolDomain"));
    const [prefix, account] = domain?.Properties.Domain["Fn::Join"][1] ?? [];

    expect(csp.Override).toBe(false);
    expect(prefix).toBe("dev-approvals-");
    expect(text).toContain(
      JSON.stringify([
        ` https://${prefix}`,
        account,
        ".auth.",
        { Ref: "AWS::Region" },
        ".amazoncognito.com",
      ]).slice(2, -2),
    );
    expect(text).toContain(
      JSON.stringify(["connect-src 'self' https://cognito-idp.", { Ref: "AWS::Region" }, "."]).slice(2, -2),
    );
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      `style-src 'self' 'sha256-${createHash("sha256").update(PORTAL_STYLESHEET).digest("base64")}'`,
      "img-src 'self' data:",
      "object-src 'none'",
      "frame-ancestors 'none'",
    ])
      expect(text).toContain(directive);
  });

  it("applies it to every behaviour, the API's included (whose pages keep their own CSP)", () => {
    const [policyId] = Object.keys(synth.template.findResources("AWS::CloudFront::ResponseHeadersPolicy"));
    const [distribution] = Object.values(synth.template.findResources("AWS::CloudFront::Distribution"));
    const config = distribution?.Properties.DistributionConfig;
    const behaviours = [config.DefaultCacheBehavior, ...config.CacheBehaviors];
    expect(behaviours.length).toBeGreaterThan(2);
    for (const behaviour of behaviours) expect(behaviour.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
  });
});

describe("deploying with example addresses", () => {
  it("names the sender and the policies' approvers at example domains, and nothing else", () => {
    expect(placeholderAddressesOf(contextWith({}))).toEqual(["sender approvals@example.com"]);
    expect(placeholderAddressesOf(contextWith({ sender: "approvals@acme.io" }))).toEqual([]);
    expect(
      placeholderAddressesOf(
        contextWith({ sender: "approvals@acme.io", approvalPolicies: "policies/examples/by-team.json" }),
      ),
    ).toEqual([
      `approver security-lead@example.com (${join(REPO_ROOT, "policies/examples/by-team.json")})`,
      `approver security-oncall@example.com (${join(REPO_ROOT, "policies/examples/by-team.json")})`,
    ]);
  });

  it("synthesizes a template that CloudFormation refuses before changing anything, and one it takes once the addresses are real", () => {
    const placeholder = synthesize();
    const real = synthesize({ sender: "approvals@acme.io" });
    try {
      const template = placeholder.template.toJSON() as Template;
      const parameter = template.Parameters?.PlaceholderMailAddresses as {
        Default: string;
        AllowedValues: string[];
      };
      // The rule holds only for an empty list, and the parameter can hold no other list than its own.
      expect(parameter).toMatchObject({ Default: "sender approvals@example.com" });
      expect(parameter.AllowedValues).toEqual([parameter.Default]);
      expect(template.Rules).toMatchObject({
        NoPlaceholderMailAddresses: {
          Assertions: [
            {
              Assert: { "Fn::Equals": [{ Ref: "PlaceholderMailAddresses" }, ""] },
              AssertDescription: expect.stringContaining("approvals@example.com"),
            },
          ],
        },
      });

      const realTemplate = real.template.toJSON() as Template;
      expect(realTemplate.Parameters?.PlaceholderMailAddresses).toBeUndefined();
      expect(Object.keys(realTemplate.Rules ?? {})).not.toContain("NoPlaceholderMailAddresses");
    } finally {
      placeholder.cleanUp();
      real.cleanUp();
    }
  });
});

describe("stage and tags in the context", () => {
  it("takes a short lowercase stage, and refuses what a name could not start with", () => {
    expect(contextWith({ stage: "staging2" }).stage).toBe("staging2");
    expect(contextWith({ stage: "" }).stage).toBeUndefined();
    for (const stage of ["Dev", "2dev", "my-stage", "averylongstage", "awsdev", "cognito"])
      expect(() => contextWith({ stage }), stage).toThrow(/stage/);
  });

  it("reads tags as JSON from the command line as well as an object from cdk.json", () => {
    expect(contextWith({ tags: '{"CostCenter": "1234"}' }).tags).toEqual({ CostCenter: "1234" });
    expect(contextWith({ tags: { Owner: "platform" } }).tags).toEqual({ Owner: "platform" });
    expect(() => contextWith({ tags: { "aws:owner": "x" } })).toThrow(/tags/);
  });

  it("takes a web ACL of yours or asks for one, not both", () => {
    expect(() =>
      contextWith({
        waf: true,
        webAclArn:
          "arn:aws:wafv2:us-east-1:123456789012:global/webacl/corporate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
      }),
    ).toThrow(/webAclArn/);
    expect(() =>
      contextWith({
        webAclArn:
          "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/corporate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
      }),
    ).toThrow(/us-east-1/);
  });
});

describe("idempotency records", () => {
  it("expire by TTL in every service that keeps them", () => {
    const runsEffectsOnce = services.filter((service) =>
      readdirSync(join(REPO_ROOT, "services", service.name), { recursive: true, encoding: "utf8" })
        .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
        .some((file) =>
          readFileSync(join(REPO_ROOT, "services", service.name, file), "utf8").includes(
            "createIdempotency(",
          ),
        ),
    );
    expect(runsEffectsOnce.map((service) => service.name)).toEqual(
      expect.arrayContaining(["notifier", "ec2-launcher", "rds-launcher", "s3-launcher"]),
    );
    for (const service of runsEffectsOnce) {
      const records = service.tables.filter((table) => table.holdsIdempotencyRecords);
      expect(records, service.name).toHaveLength(1);
      expect(records[0]?.timeToLiveAttribute, service.name).toBe("expiration");
    }
  });

  it("has DynamoDB's TTL on in the template for each of them", () => {
    const synth = synthesize();
    try {
      for (const spec of services
        .flatMap((service) => service.tables)
        .filter((table) => table.holdsIdempotencyRecords)) {
        const table = synth.stack.tables.get(spec.id);
        expect(
          (synth.template.toJSON() as Template).Resources[table ? synth.logicalIdOf(table) : ""]?.Properties
            ?.TimeToLiveSpecification,
          spec.id,
        ).toEqual({ AttributeName: "expiration", Enabled: true });
      }
    } finally {
      synth.cleanUp();
    }
  });
});

describe("the portal's build", () => {
  let outDir: string;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), "portal-build-"));
    await build({
      configFile: join(REPO_ROOT, "portal", "vite.config.ts"),
      build: { outDir },
      logLevel: "silent",
    });
  }, 120_000);

  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it("emits no source map, which the public bucket would serve", () => {
    const files = readdirSync(outDir, { recursive: true, encoding: "utf8" });
    expect(files.some((file) => file.endsWith(".js"))).toBe(true);
    expect(files.filter((file) => file.endsWith(".map") || file.includes("sourceMappingURL"))).toEqual([]);
    for (const file of files.filter((name) => name.endsWith(".js")))
      expect(readFileSync(join(outDir, file), "utf8"), file).not.toContain("sourceMappingURL");
  });

  it("has no inline script, style or event handler in its page, which the CSP would block", () => {
    const page = readFileSync(join(outDir, "index.html"), "utf8");
    const scripts = [...page.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toMatch(/\bsrc="\//);
    expect(page).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
  });

  it("is refused by the stack if a build with source maps is handed to it", () => {
    const stack = new Stack(new App(), "Stack");
    const directory = mkdtempSync(join(tmpdir(), "portal-with-maps-"));
    try {
      for (const file of ["index.html", "app.js", "app.js.map"]) writeFileSync(join(directory, file), "");
      expect(
        () =>
          new Portal(stack, "Portal", {
            directory,
            api: new HttpApi(stack, "Api"),
            apiPathPrefixes: ["/api"],
            originVerifySecret: "secret",
            signInOrigins: [],
          }),
      ).toThrow(PortalSourceMapsError);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
