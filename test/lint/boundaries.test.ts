import { join } from "node:path";
import { cruise, type IFlattenedRuleSet, type IViolation } from "dependency-cruiser";
import extractDepcruiseConfig from "dependency-cruiser/config-utl/extract-depcruise-config";
import { describe, expect, it } from "vitest";

const FIXTURE = join(import.meta.dirname, "fixtures", "boundaries");

const REPOSITORY = join(import.meta.dirname, "..", "..");

const violationsIn = async (baseDir: string): Promise<IViolation[]> => {
  const config = await extractDepcruiseConfig(join(REPOSITORY, ".dependency-cruiser.mjs"));
  const { output } = await cruise(["."], {
    ...config.options,
    includeOnly: undefined,
    baseDir,
    validate: true,
    ruleSet: { forbidden: config.forbidden } as IFlattenedRuleSet,
  });
  if (typeof output === "string") throw new Error(`dependency-cruiser answered text: ${output}`);
  return output.summary.violations;
};

describe("the import rules (npm run lint)", () => {
  it("refuse each deliberate violation of the fixture by its rule, and nothing the rules allow", async () => {
    const found = (await violationsIn(FIXTURE)).map(({ rule, from, to }) => `${rule.name}: ${from} -> ${to}`);
    expect(found.sort()).toEqual(
      [
        "service-imports-another-service: services/approval-mail/mail.ts -> services/decision/token.ts",
        "shared-kernel-imports-a-service: services/shared/link-token.ts -> services/decision/token.ts",
        "portal-imports-beyond-the-contracts: portal/src/main.ts -> services/audit/csv.ts",
        "catalog-imports-code: events/catalog.ts -> services/shared/link-token.ts",
        "http-contract-imports-code: api/contract.ts -> services/audit/csv.ts",
        "local-runtime-imports-aws-app: infra/local/runtime.ts -> infra/aws/stack.ts",
        "aws-app-imports-local-runtime: infra/aws/stack.ts -> infra/local/region.ts",
        "service-imports-outside-its-layer: services/intake/handler.ts -> test/support/clock.ts",
        "product-imports-a-test-helper: services/intake/handler.ts -> test/support/clock.ts",
        "no-circular: services/notifier/inbox.ts -> services/notifier/outbox.ts",
        "library-imports-code: lib/event-pattern/match.ts -> infra/local/region.ts",
        "policy-imports-beyond-catalog-and-lib: policy/evaluate.ts -> services/audit/csv.ts",
      ].sort(),
    );
  });

  it("cover every rule of the configuration with a violation in the fixture", async () => {
    const config = await extractDepcruiseConfig(join(REPOSITORY, ".dependency-cruiser.mjs"));
    const violated = new Set((await violationsIn(FIXTURE)).map(({ rule }) => rule.name));
    expect(
      (config.forbidden ?? [])
        .map((rule) => rule.name ?? "(a rule without a name)")
        .filter((name) => !violated.has(name)),
    ).toEqual([]);
  });
});
