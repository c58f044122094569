import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleHandlers, measureModuleInit } from "../infra/aws/bundles.ts";
import type { Metric } from "./types.ts";

/**
 * Every Lambda handler as the CDK stack bundles it (esbuild, minified, the AWS SDK included): its
 * size, and how long a fresh Node.js process takes to import it with its function's environment,
 * which is the module-loading share of a cold start.
 */
export const benchmarkLambdaBundles = async (): Promise<Metric[]> => {
  const workDir = await mkdtemp(join(tmpdir(), "bench-lambda-bundles-"));
  try {
    const metrics: Metric[] = [];
    for (const bundle of await bundleHandlers(workDir)) {
      const name = `${bundle.service}/${bundle.functionId}`;
      metrics.push({ label: `${name} bundle`, value: bundle.bytes / 1024, unit: "KiB" });
      metrics.push({ label: `${name} init`, value: await measureModuleInit(bundle), unit: "ms" });
    }
    return metrics;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
};
