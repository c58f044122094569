import { execFile } from "node:child_process";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { App, AssetStaging } from "aws-cdk-lib";
import type { CfnFunction } from "aws-cdk-lib/aws-lambda";
import type { ServiceName } from "../../services/shared/manifest.ts";
import type { HandlerFunction } from "./constructs/handler-function.ts";
import { readDeploymentContext } from "./context.ts";
import { REPO_ROOT } from "./paths.ts";
import { ApprovalsStack } from "./stack.ts";

/** The bundle esbuild wrote for one function, and the environment the stack gives that function. */
export interface HandlerBundle {
  service: ServiceName;
  /** The function's construct id within its service (its handler module's name). */
  functionId: string;
  file: string;
  bytes: number;
  /** The function's variables, CloudFormation references replaced by placeholders of the same shape. */
  environment: Record<string, string>;
}

export class BundleNotFoundError extends Error {
  override readonly name = "BundleNotFoundError";
}

export class BundleLoadError extends Error {
  override readonly name = "BundleLoadError";
}

/** The file NodejsFunction writes for ESM output. */
const BUNDLE_FILE = "index.mjs";

/** What Lambda itself sets in every Node.js function's environment, as far as module loading cares. */
const LAMBDA_RUNTIME_ENVIRONMENT = {
  AWS_REGION: "us-east-1",
  AWS_DEFAULT_REGION: "us-east-1",
  AWS_LAMBDA_FUNCTION_NAME: "bundle-probe",
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
  AWS_ACCESS_KEY_ID: "placeholder",
  AWS_SECRET_ACCESS_KEY: "placeholder",
  AWS_SESSION_TOKEN: "placeholder",
};

/** A resolved CloudFormation value as text: literals kept, references (table names, ARNs) as placeholders. */
const placeholderFor = (value: unknown): string => {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && "Fn::Join" in value) {
    const [separator, parts] = (value as { "Fn::Join": [string, unknown[]] })["Fn::Join"];
    return parts.map(placeholderFor).join(separator);
  }
  return "placeholder";
};

const environmentOf = (fn: HandlerFunction): Record<string, string> => {
  const cfn = fn.function.node.defaultChild as CfnFunction;
  const resolved = fn.function.stack.resolve(cfn.environment) as { variables?: Record<string, unknown> };
  return Object.fromEntries(
    Object.entries(resolved.variables ?? {}).map(([key, value]) => [key, placeholderFor(value)]),
  );
};

const bundleFileOf = (fn: HandlerFunction): string => {
  const staging = fn.function.node.findAll().find((child) => child instanceof AssetStaging);
  if (!staging) throw new BundleNotFoundError(`${fn.node.path} has no bundled code asset`);
  return join(staging.absoluteStagedPath, BUNDLE_FILE);
};

/**
 * Builds the stack as `cdk synth` does into `workDir`, esbuild bundling every handler with the stack's
 * own settings, and reports each bundle. The portal is a placeholder page: it is not what is measured.
 */
export const bundleHandlers = async (workDir: string): Promise<HandlerBundle[]> => {
  const portalDirectory = join(workDir, "portal");
  await mkdir(portalDirectory);
  await writeFile(join(portalDirectory, "index.html"), "<!doctype html><title>portal</title>");
  const { context } = JSON.parse(await readFile(join(REPO_ROOT, "cdk.json"), "utf8")) as { context: object };
  const app = new App({ outdir: join(workDir, "cdk.out"), context: { ...context } });
  // In Lambda's region, as a deployed stack is: settings derived from it (ALLOWED_REGIONS) are then real values.
  const stack = new ApprovalsStack(app, "BundleProbe", {
    env: { region: LAMBDA_RUNTIME_ENVIRONMENT.AWS_REGION },
    context: readDeploymentContext(app.node),
    portalDirectory,
  });
  const bundles: HandlerBundle[] = [];
  for (const service of stack.services) {
    for (const [functionId, fn] of service.functions) {
      const file = bundleFileOf(fn);
      bundles.push({
        service: service.name,
        functionId,
        file,
        bytes: (await stat(file)).size,
        environment: environmentOf(fn),
      });
    }
  }
  return bundles;
};

const run = promisify(execFile);

/**
 * Imports a bundle in a fresh Node.js process with its function's environment (and nothing else from
 * ours), as a cold Lambda start would; resolves to how long the import took, in milliseconds. A
 * bundle that cannot load (a missing variable, a broken import) rejects with what Node printed.
 */
export const measureModuleInit = async (bundle: HandlerBundle): Promise<number> => {
  const script = [
    `const start = performance.now();`,
    `await import(${JSON.stringify(new URL(`file://${bundle.file}`).href)});`,
    `process.stdout.write(String(performance.now() - start));`,
  ].join("\n");
  try {
    const { stdout } = await run(process.execPath, ["--input-type=module", "--eval", script], {
      env: { PATH: process.env.PATH, ...LAMBDA_RUNTIME_ENVIRONMENT, ...bundle.environment },
    });
    return Number(stdout);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new BundleLoadError(`${bundle.service}/${bundle.functionId} failed to load:\n${stderr}`, {
      cause: error,
    });
  }
};
