import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleHandlers, type HandlerBundle, measureModuleInit } from "../../infra/aws/bundles.ts";
import { DEFAULT_POLICY_FILE } from "../../policy/index.ts";
import { services } from "../../services/registry.ts";
import { ORIGIN_VERIFY_HEADER } from "../../services/shared/behind-cloudfront.ts";
import type { HttpRoute } from "../../services/shared/manifest.ts";

/**
 * Runs `lines` (an ES module beside the bundle, which imports it as `./index.mjs`) in a fresh process
 * with exactly its function's environment: measureModuleInit is the loader that gives a bundle that
 * environment, and it rejects with what Node printed when the module throws. The time it measures is
 * the benchmark's business, not this test's.
 */
const probe = async (bundle: HandlerBundle, name: string, lines: readonly string[]): Promise<void> => {
  const file = join(dirname(bundle.file), `${name}.mjs`);
  await writeFile(file, lines.join("\n"));
  await measureModuleInit({ ...bundle, file });
};

/** Loads the bundle, failing unless it exports the `handler` function Lambda calls. */
const loadHandlerOf = (bundle: HandlerBundle): Promise<void> =>
  probe(bundle, "handler-probe", [
    `import * as bundle from ${JSON.stringify(`./${basename(bundle.file)}`)};`,
    `if (typeof bundle.handler !== "function") throw new TypeError("the bundle exports no handler function");`,
  ]);

/** An HTTP API (payload 2.0) request for `route` as it reaches the function from API Gateway's own endpoint. */
const directRequest = (route: HttpRoute, headers: Record<string, string>) => ({
  version: "2.0",
  routeKey: `${route.method} ${route.path}`,
  rawPath: route.path,
  rawQueryString: "",
  headers: { host: "abc123.execute-api.eu-west-1.amazonaws.com", ...headers },
  requestContext: {
    http: {
      method: route.method,
      path: route.path,
      protocol: "HTTP/1.1",
      sourceIp: "203.0.113.9",
      userAgent: "curl",
    },
    domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
    requestId: "r-1",
    routeKey: `${route.method} ${route.path}`,
    stage: "$default",
    time: "07/Dec/2026:15:00:00 +0000",
    timeEpoch: 0,
  },
  isBase64Encoded: false,
});

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

  it("embeds the deployment's policy file in bundles of the services that read policies, and of no other", async () => {
    const { policies } = JSON.parse(await readFile(DEFAULT_POLICY_FILE, "utf8")) as {
      policies: { description?: string }[];
    };
    // A policy's description is in a bundle only as part of the embedded file: no code spells it.
    const descriptions = policies.flatMap(({ description }) => (description ? [description] : []));
    expect(descriptions.length).toBeGreaterThan(0);
    const readers = new Set(services.filter((service) => service.needs.policies).map(({ name }) => name));
    expect(readers.size).toBeGreaterThan(0);
    // esbuild leaves the document out of a reader's bundle whose handler never asks for the policies.
    const embedding = new Set<string>();
    for (const bundle of bundles) {
      const code = await readFile(bundle.file, "utf8");
      if (descriptions.every((description) => code.includes(description))) embedding.add(bundle.service);
      else expect(descriptions.some((description) => code.includes(description))).toBe(false);
    }
    expect(embedding).toEqual(readers);
  });

  it("has every HTTP function refuse, with 403, a request that did not come through CloudFront", async () => {
    const httpBundles = services.flatMap((service) =>
      service.http
        ? bundles
            .filter((bundle) => bundle.service === service.name && bundle.functionId === "http-handler")
            .map((bundle) => ({ bundle, routes: service.http?.routes ?? [] }))
        : [],
    );
    expect(httpBundles.length).toBe(services.filter((service) => service.http).length);
    for (const { bundle, routes } of httpBundles) {
      const requests = routes.flatMap((route) => [
        directRequest(route, {}),
        directRequest(route, { [ORIGIN_VERIFY_HEADER]: "a-guess" }),
      ]);
      expect(requests.length, bundle.service).toBeGreaterThan(0);
      await expect(
        probe(bundle, "direct-requests", [
          `import { handler } from ${JSON.stringify(`./${basename(bundle.file)}`)};`,
          `for (const request of ${JSON.stringify(requests)}) {`,
          "  const answer = await handler(request, {});",
          '  if (answer.statusCode !== 403) throw new Error(request.routeKey + " answered " + answer.statusCode);',
          "}",
        ]),
        bundle.service,
      ).resolves.toBeUndefined();
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
