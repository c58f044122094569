import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extendLeaseRoute, releaseNowRoute } from "../../api/contract.ts";
import { DeploymentContextError, readDeploymentContext } from "../../infra/aws/context.ts";
import { leasesTable } from "../../services/lease/tables.ts";
import { services } from "../../services/registry.ts";
import { cdkJsonContext, type SynthesizedStack, synthesize } from "./synth.ts";

type Resource = { Type: string; Properties: Record<string, unknown> };

/** What a deployment sets of the lease settings; the others are left to the services' defaults. */
const LEASE_CONTEXT = { leaseDefault: "P3D", leaseMax: "P30D", leaseReminders: "P1D,PT1H" };

describe("the lease service on AWS", () => {
  let synth: SynthesizedStack;
  let resources: Record<string, Resource>;

  beforeAll(() => {
    synth = synthesize(LEASE_CONTEXT);
    resources = synth.template.toJSON().Resources as Record<string, Resource>;
  });
  afterAll(() => synth.cleanUp());

  const lease = () => {
    const found = synth.stack.services.find((service) => service.name === "lease");
    if (!found) throw new Error("the stack has no lease service");
    return found;
  };
  const variablesOf = (functionId: string): Record<string, unknown> =>
    (resources[functionId]?.Properties.Environment as { Variables: Record<string, unknown> } | undefined)
      ?.Variables ?? {};

  it("runs a function per handler: its news, its timers, its outbox sweeper and its routes", () => {
    expect([...lease().functions.keys()].sort()).toEqual(
      ["http-handler", "on-lease-news", "on-lease-timer-due", "outbox-sweeper"].map((name) =>
        expect.stringContaining(name),
      ),
    );
  });

  it("gives its functions the lease settings the deployment set, its table and the schedules, and nothing it does not read", () => {
    const table = synth.stack.tables.get(leasesTable.id);
    if (!table) throw new Error("no leases table");
    for (const fn of lease().functions.values()) {
      const variables = variablesOf(synth.logicalIdOf(fn.function));
      expect(variables).toMatchObject({
        LEASE_DEFAULT: "P3D",
        LEASE_MAX: "P30D",
        LEASE_REMINDERS: "P1D,PT1H",
        LEASES_TABLE: { Ref: synth.logicalIdOf(table) },
        SCHEDULE_GROUP: expect.any(String),
      });
      // Unset in the context: the services' own defaults (LEASE_SETTING_DEFAULTS) hold.
      expect(variables.LEASE_MIN).toBeUndefined();
      expect(Object.keys(variables)).not.toContain("HMAC_SECRET_ARN");
    }
  });

  it("keeps the leases table to the lease service's functions", () => {
    const others = synth.stack.services
      .filter((service) => service.name !== "lease")
      .flatMap((service) => [...service.functions.values()]);
    for (const fn of others) {
      expect(Object.keys(variablesOf(synth.logicalIdOf(fn.function)))).not.toContain(
        leasesTable.tableNameEnv,
      );
    }
  });

  it("sweeps its outbox every minute", () => {
    const sweeper = services
      .find((service) => service.name === "lease")
      ?.subscriptions.find((subscription) => subscription.kind === "schedule");

    expect(sweeper).toMatchObject({ schedule: "rate(1 minute)" });
    synth.template.hasResourceProperties("AWS::Events::Rule", { ScheduleExpression: "rate(1 minute)" });
  });

  it("serves extend and release now to signed-in callers only, behind the JWT authorizer", () => {
    const routes = Object.values(resources)
      .filter((resource) => resource.Type === "AWS::ApiGatewayV2::Route")
      .map((resource) => resource.Properties);
    for (const route of [extendLeaseRoute, releaseNowRoute]) {
      expect(routes).toContainEqual(
        expect.objectContaining({ RouteKey: `POST ${route.path}`, AuthorizationType: "JWT" }),
      );
    }
  });
});

describe("the lease settings of a deployment", () => {
  const contextWith = (overrides: Record<string, unknown>) => {
    const context: Record<string, unknown> = { ...cdkJsonContext(), ...overrides };
    return { tryGetContext: (key: string) => context[key] };
  };

  it("are unset in cdk.json, so every service uses the same defaults", () => {
    expect(readDeploymentContext(contextWith({}))).toMatchObject({
      leaseDefault: undefined,
      leaseMin: undefined,
      leaseMax: undefined,
      leaseReminders: undefined,
      releaseCheckDelays: undefined,
    });
  });

  it("stop the synth naming the key when one is not a duration", () => {
    for (const key of ["leaseMax", "leaseReminders", "releaseCheckDelays"]) {
      const read = () => readDeploymentContext(contextWith({ [key]: "P3D,soon" }));

      expect(read, key).toThrow(DeploymentContextError);
      expect(read, key).toThrow(key);
    }
  });
});
