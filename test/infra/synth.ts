import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, type CfnElement } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { IConstruct } from "constructs";
import { readDeploymentContext, tagDeployment } from "../../infra/aws/context.ts";
import {
  addRegionForwarding,
  defaultBusSubscriptionsOf,
  type ForwardingPlan,
  type RegionForwardingStack,
} from "../../infra/aws/forwarding.ts";
import { addNagChecks } from "../../infra/aws/nag.ts";
import { REPO_ROOT } from "../../infra/aws/paths.ts";
import { ApprovalsStack } from "../../infra/aws/stack.ts";
import { services as registry } from "../../services/registry.ts";
import type { ServiceManifest } from "../../services/shared/manifest.ts";

/** The context cdk.json ships: what `npx cdk synth` uses when nothing is passed. */
export const cdkJsonContext = (): Record<string, unknown> =>
  (JSON.parse(readFileSync(join(REPO_ROOT, "cdk.json"), "utf8")) as { context: Record<string, unknown> })
    .context;

export interface SynthesizedStack {
  stack: ApprovalsStack;
  template: Template;
  /** cdk-nag findings nobody acknowledged, as `rule at construct path`. */
  nagFindings: string[];
  logicalIdOf: (construct: IConstruct) => string;
  /** The cloud assembly's directory: the template and the staged assets. */
  outdir: string;
  /** Removes the assembly and the placeholder portal. */
  cleanUp: () => void;
}

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

const NAG_PACKS = new Set(["AwsSolutions", "Serverless"]);

/**
 * Synthesizes `app` (cdk-nag on), and returns the findings nobody acknowledged, as `rule at construct
 * path`: cdk-nag fails the synth with a validation report when there are any.
 */
const synthWithNag = (app: App, outdir: string): string[] => {
  try {
    app.synth();
    return [];
  } catch (error) {
    const reportFile = join(outdir, "validation-report.json");
    if (!existsSync(reportFile)) throw error;
    const report = JSON.parse(readFileSync(reportFile, "utf8")) as ValidationReport;
    return report.pluginReports
      .filter((plugin) => NAG_PACKS.has(plugin.pluginName))
      .flatMap((plugin) => plugin.violations)
      .flatMap((violation) =>
        violation.violatingConstructs.map(
          (construct) => `${violation.ruleName} at ${construct.constructPath}`,
        ),
      );
  }
};

/**
 * Synthesizes the stack as `cdk synth` does, cdk-nag included, with `context` over cdk.json's (and
 * `services` instead of the registry's, when given), environment-agnostic unless given a `region` (as
 * app.ts pins it when the CLI knows its region), and tagged as app.ts tags it. Bundling
 * is skipped (CDK's own `aws:cdk:bundling-stacks`), which leaves the template as it is apart from asset
 * hashes; the bundles themselves are built and loaded by bundles.test.ts and the bench.
 */
export const synthesize = (
  context: Record<string, unknown> = {},
  services?: readonly ServiceManifest[],
  region?: string,
  stackId = "ApprovalsTest",
): SynthesizedStack => {
  const outdir = mkdtempSync(join(tmpdir(), "infra-test-"));
  const portalDirectory = mkdtempSync(join(tmpdir(), "infra-test-portal-"));
  writeFileSync(join(portalDirectory, "index.html"), "<!doctype html><title>portal</title>");
  const app = new App({
    outdir,
    context: { ...cdkJsonContext(), ...context, "aws:cdk:bundling-stacks": [] },
  });
  const deployment = readDeploymentContext(app.node);
  addNagChecks(app);
  tagDeployment(app, deployment);
  const stack = new ApprovalsStack(app, stackId, {
    env: region ? { region } : undefined,
    context: deployment,
    portalDirectory,
    services,
  });
  const nagFindings = synthWithNag(app, outdir);
  return {
    stack,
    // Read from the assembly: written before cdk-nag runs, so it is there even when findings fail the synth.
    template: Template.fromJSON(JSON.parse(readFileSync(join(outdir, stack.templateFile), "utf8"))),
    nagFindings,
    logicalIdOf: (construct) => stack.getLogicalId(construct.node.defaultChild as CfnElement),
    outdir,
    cleanUp: () => {
      for (const directory of [outdir, portalDirectory]) rmSync(directory, { recursive: true, force: true });
    },
  };
};

export interface SynthesizedForwarding {
  stacks: { stack: RegionForwardingStack; template: Template }[];
  nagFindings: string[];
  cleanUp: () => void;
}

/** Synthesizes the forwarding stacks of `plan` for the registry's subscriptions, as app.ts adds them. */
export const synthesizeForwarding = (
  plan: ForwardingPlan,
  account = "123456789012",
): SynthesizedForwarding => {
  const outdir = mkdtempSync(join(tmpdir(), "infra-test-forwarding-"));
  const app = new App({ outdir });
  addNagChecks(app);
  const stacks = addRegionForwarding(
    app,
    "ApprovalsTest",
    plan,
    defaultBusSubscriptionsOf(registry),
    account,
  );
  const nagFindings = synthWithNag(app, outdir);
  return {
    stacks: stacks.map((stack) => ({
      stack,
      template: Template.fromJSON(JSON.parse(readFileSync(join(outdir, stack.templateFile), "utf8"))),
    })),
    nagFindings,
    cleanUp: () => rmSync(outdir, { recursive: true, force: true }),
  };
};
