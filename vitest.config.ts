import { defineConfig } from "vitest/config";

/** Tiers that start whole stacks, synthesize CDK or drive a browser; everything else is the fast inner loop. */
const INTEGRATION = ["test/integration/**/*.test.ts", "test/local/**/*.test.ts"];
const INFRA = ["test/infra/**/*.test.ts"];
const BROWSER = ["test/browser/**/*.test.ts"];

export default defineConfig({
  test: {
    exclude: ["node_modules/**", "cdk.out/**", "portal/dist/**", ".data/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Tests run on Node 20 like local mode; the SDK's notice about its 2027 Node 22 requirement is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          // The fast inner loop: files share their workers' module cache instead of importing the SDK,
          // zod and Powertools afresh each (about 20 s instead of 65 s here). Every unit test sets up
          // what it reads itself, which this relies on; the stack-starting tiers keep their isolation.
          pool: "threads",
          isolate: false,
          include: ["**/*.test.ts"],
          exclude: [
            "node_modules/**",
            "cdk.out/**",
            "portal/dist/**",
            ".data/**",
            ...INTEGRATION,
            ...INFRA,
            ...BROWSER,
          ],
        },
      },
      { extends: true, test: { name: "infra", include: INFRA } },
      { extends: true, test: { name: "integration", include: INTEGRATION } },
      {
        extends: true,
        test: { name: "browser", include: BROWSER, globalSetup: ["test/browser/build-portal.ts"] },
      },
    ],
  },
});
