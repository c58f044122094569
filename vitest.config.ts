import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "cdk.out/**", "portal/dist/**", ".data/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Tests run on Node 20 like local mode; the SDK's notice about its 2027 Node 22 requirement is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
