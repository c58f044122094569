import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stackNameOf } from "../../infra/aws/context.ts";
import { type SynthesizedStack, synthesize } from "./synth.ts";

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const XRAY_WRITES = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"];

describe("the AWS stack's metrics and traces", () => {
  let synth: SynthesizedStack;
  let resources: Record<string, Resource>;
  let functions: [string, Resource][];

  beforeAll(() => {
    synth = synthesize();
    resources = synth.template.toJSON().Resources as Record<string, Resource>;
    // The handlers' functions (Powertools names their service); CDK's own custom-resource function is not ours.
    functions = Object.entries(resources).filter(
      ([, resource]) =>
        resource.Type === "AWS::Lambda::Function" &&
        JSON.stringify(resource.Properties.Environment ?? {}).includes("POWERTOOLS_SERVICE_NAME"),
    );
  });
  afterAll(() => synth.cleanUp());

  /** Every action the policies attached to a function's role allow. */
  const allowedActionsOf = ([, fn]: [string, Resource]) => {
    const role = (fn.Properties.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
    return Object.values(resources)
      .filter(
        (resource) =>
          resource.Type === "AWS::IAM::Policy" &&
          (resource.Properties.Roles as unknown[]).some(
            (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: role }),
          ),
      )
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((statement) => statement.Effect === "Allow")
      .flatMap((statement) => [statement.Action].flat());
  };

  it("covers every handler: each service's functions and the sign-in trigger", () => {
    const ofServices = synth.stack.services.reduce((count, service) => count + service.functions.size, 0);
    expect(functions).toHaveLength(ofServices + 1);
  });

  it("traces every function actively, with the role to write its traces to X-Ray", () => {
    for (const entry of functions) {
      const [id, fn] = entry;
      expect({ id, tracing: fn.Properties.TracingConfig }).toEqual({ id, tracing: { Mode: "Active" } });
      expect({ id, actions: allowedActionsOf(entry) }).toEqual({
        id,
        actions: expect.arrayContaining(XRAY_WRITES),
      });
    }
  });

  it("names the metrics' namespace, the stack's name, and the function's service in every function's environment", () => {
    for (const [id, fn] of functions) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect({ id, namespace: variables.POWERTOOLS_METRICS_NAMESPACE }).toEqual({
        id,
        namespace: synth.stack.stackName,
      });
      expect(variables.POWERTOOLS_SERVICE_NAME).toEqual(expect.any(String));
    }
  });

  it("keeps two stages' metrics apart: each stage's functions name a namespace of their own", () => {
    const namespacesOf = (stage: string) => {
      const staged = synthesize({ stage }, undefined, undefined, stackNameOf({ stage }));
      try {
        const resources = Object.values(staged.template.toJSON().Resources as Record<string, Resource>);
        return new Set(
          resources
            .filter((resource) => resource.Type === "AWS::Lambda::Function")
            .map(
              (fn) =>
                (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
                  ?.POWERTOOLS_METRICS_NAMESPACE,
            )
            .filter((namespace) => namespace !== undefined),
        );
      } finally {
        staged.cleanUp();
      }
    };

    expect([...namespacesOf("dev")]).toEqual(["dev-ResourceApprovals"]);
    expect([...namespacesOf("prod")]).toEqual(["prod-ResourceApprovals"]);
  });
});
