import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleHandlers, type HandlerBundle, measureModuleInit } from "../../infra/aws/bundles.ts";
import { services } from "../../services/registry.ts";

/**
 * Loads the bundle in a fresh process with exactly its function's environment, through a module
 * beside it that fails to load unless the bundle exports the `handler` function Lambda calls.
 * measureModuleInit is the loader that gives a bundle that environment; the time it measures is the
 * benchmark's business, not this test's.
 */
const loadHandlerOf = async (bundle: HandlerBundle): Promise<void> => {
  const probe = join(dirname(bundle.file), "handler-probe.mjs");
  await writeFile(
    probe,
    [
      `import * as bundle from ${JSON.stringify(`./${basename(bundle.file)}`)};`,
      `if (typeof bundle.handler !== "function") throw new TypeError("the bundle exports no handler function");`,
    ].join("\n"),
  );
  await measureModuleInit({ ...bundle, file: probe });
};

/**
 * The one test that bundles for real: every handler as `cdk synth` bundles it must load in a fresh
 * Node.js process given only the environment the stack gives its function. A missing variable fails
 * the service's config at load, a bad bundle fails the import.
 */
describe("Lambda bundles", () => {
  let workDir: string;
  let bundles: HandlerBundle[];

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "infra-bundles-"));
    bundles = await bundleHandlers(workDir);
  }, 180_000);

  afterAll(() => rm(workDir, { recursive: true, force: true }));

  it("bundles one minified ESM file per handler, with every dependency inside", () => {
    const serviceNames = new Set(bundles.map((bundle) => bundle.service));

    expect(serviceNames).toEqual(new Set(services.map((service) => service.name)));
    for (const bundle of bundles) {
      expect(bundle.file).toMatch(/index\.mjs$/);
      expect(bundle.bytes, bundle.functionId).toBeGreaterThan(0);
    }
  });

  it("loads every bundle with exactly its function's environment, exporting its handler function", async () => {
    for (const bundle of bundles) {
      await expect(loadHandlerOf(bundle), `${bundle.service}/${bundle.functionId}`).resolves.toBeUndefined();
    }
  });

  it("fails to load a bundle that exports no handler function", async () => {
    const [bundle] = bundles;
    if (!bundle) throw new Error("no bundle was built");
    const file = join(workDir, "no-handler", "index.mjs");
    await mkdir(dirname(file));
    await writeFile(file, "export const notTheHandler = 1;");

    await expect(loadHandlerOf({ ...bundle, file })).rejects.toThrow(/exports no handler function/);
  });

  it("fails to load a bundle whose function lacks a variable its config reads", async () => {
    const [bundle] = bundles.filter((candidate) => "EVENT_BUS_NAME" in candidate.environment);
    if (!bundle) throw new Error("no bundle publishes events");
    const { EVENT_BUS_NAME: _left, ...environment } = bundle.environment;

    await expect(measureModuleInit({ ...bundle, environment })).rejects.toThrow(/EVENT_BUS_NAME is not set/);
  });
});
