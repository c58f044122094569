/**
 * The import boundaries of the codebase, checked by `npm run lint` (`npm run lint:imports`).
 * Services meet only on the bus: each imports the catalog, the shared kernel, the HTTP contract and
 * itself, never another service. The local runtime and the CDK app are two readings of the same
 * manifests and never import each other. lib/ holds pure libraries of ours that depend on nothing of
 * ours; policy/ is the approval-policy language, on the catalog and lib/ alone. Test helpers stay out
 * of what ships.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const NPM = "node_modules";
/** Code that runs in tests only: test files, the test tier folders and each service's `testing/` helpers. */
const TEST_ONLY = ["^test/", "/testing/", "\\.test\\.ts$"];

export default {
  forbidden: [
    {
      name: "service-imports-another-service",
      comment:
        "A service imports only events/, services/shared/, api/ and itself: services meet on the bus, not through each other's modules or tables.",
      severity: "error",
      from: { path: "^services/([^/]+)/", pathNot: [...TEST_ONLY, "^services/shared/"] },
      to: { path: "^services/", pathNot: ["^services/$1/", "^services/shared/"] },
    },
    {
      name: "service-imports-outside-its-layer",
      comment:
        "Services depend on the catalog, the shared kernel, the HTTP contract, lib/ and the policy language only, never on infra, the portal, the CLIs or tooling.",
      severity: "error",
      from: { path: "^services/", pathNot: TEST_ONLY },
      to: { path: "^(infra|portal|cli|bench|scripts|test)/" },
    },
    {
      name: "shared-kernel-imports-a-service",
      comment: "services/shared/ is what every service may use; it cannot depend on any one of them.",
      severity: "error",
      from: { path: "^services/shared/" },
      to: { path: "^services/", pathNot: "^services/shared/" },
    },
    {
      name: "catalog-imports-code",
      comment: "events/ is the contract everyone reads; it depends on nothing of ours.",
      severity: "error",
      from: { path: "^events/", pathNot: TEST_ONLY },
      to: { path: "^(services|infra|portal|cli|api|bench|scripts|test|lib|policy)/" },
    },
    {
      name: "http-contract-imports-code",
      comment:
        "api/ is the HTTP contract the portal and CLIs share with the services; it reads only the catalog.",
      severity: "error",
      from: { path: "^api/", pathNot: TEST_ONLY },
      to: { path: "^(services|infra|portal|cli|bench|scripts|test|lib|policy)/" },
    },
    {
      name: "library-imports-code",
      comment:
        "lib/ holds libraries of ours as pure as a package from npm (the EventBridge pattern engine): they import nothing of ours, so anything may use them.",
      severity: "error",
      from: { path: "^lib/" },
      to: { dependencyTypes: ["local"], pathNot: "^lib/" },
    },
    {
      name: "policy-imports-beyond-catalog-and-lib",
      comment:
        "policy/ is the approval-policy language (its file, its evaluation): it reads the catalog's request types and lib/'s pattern engine only, so the services, both runtimes and the CLI can all load it.",
      severity: "error",
      from: { path: "^policy/", pathNot: TEST_ONLY },
      to: { dependencyTypes: ["local"], pathNot: ["^(policy|events|lib)/"] },
    },
    {
      name: "portal-imports-beyond-the-contracts",
      comment:
        "The portal talks to the services over HTTP only: it imports events/ and api/ (and the shared theme, a browser-safe constant the decision pages and emails use too).",
      severity: "error",
      from: { path: "^portal/", pathNot: TEST_ONLY },
      to: { dependencyTypes: ["local"], pathNot: ["^(portal|events|api)/", "^services/shared/theme\\.ts$"] },
    },
    {
      name: "local-runtime-imports-aws-app",
      comment: "infra/local and infra/aws both build from the manifests and never from each other.",
      severity: "error",
      from: { path: "^infra/local/" },
      to: { path: "^infra/aws/" },
    },
    {
      name: "aws-app-imports-local-runtime",
      comment: "infra/local and infra/aws both build from the manifests and never from each other.",
      severity: "error",
      from: { path: "^infra/aws/" },
      to: { path: "^infra/local/" },
    },
    {
      name: "product-imports-a-test-helper",
      comment: "Nothing that ships or runs the product imports a test, a test tier or a testing/ helper.",
      severity: "error",
      from: { pathNot: [...TEST_ONLY, "^bench/"] },
      to: { path: TEST_ONLY },
    },
    {
      name: "no-circular",
      comment: "A cycle makes a module impossible to read, test or load on its own.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: NPM },
    includeOnly: "^(events|services|infra|portal|api|cli|bench|scripts|test|lib|policy|[^/]+\\.ts$)",
    // The fixture breaks every rule on purpose; test/lint cruises it on its own.
    exclude: { path: ["^node_modules/", "^cdk\\.out/", "/dist/", "^\\.data/", "^test/lint/fixtures/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    moduleSystems: ["es6", "cjs"],
  },
};
