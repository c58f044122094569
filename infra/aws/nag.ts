import { type App, Stack, Validations } from "aws-cdk-lib";
import { type IRole, Policy, type PolicyStatement } from "aws-cdk-lib/aws-iam";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
// The same rendering cdk-nag uses in its finding ids (`<Table.Arn>/index/*`, `arn:<AWS::Partition>:...`).
import { flattenCfnReference } from "cdk-nag/lib/utils/flatten-cfn-reference.js";
import type { IConstruct } from "constructs";

/** A statement, and why a reviewer may accept the wildcards in its resources (when it has any). */
export interface ExplainedStatement {
  statement: PolicyStatement;
  wildcardReason?: string;
}

export class UnexplainedWildcardError extends Error {
  override readonly name = "UnexplainedWildcardError";
}

/** Runs cdk-nag's AWS Solutions and Serverless packs on every synth of the app: a finding fails it. */
export const addNagChecks = (app: App): void => {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
};

/**
 * Accepts one cdk-nag finding on one construct, with the reason a reviewer reads. `ruleId` names a
 * single finding (`AwsSolutions-IAM5[Resource::...]` for one wildcard), never a whole rule family.
 */
export const acknowledge = (construct: IConstruct, ruleId: string, reason: string): void => {
  Validations.of(construct).acknowledge({ id: ruleId, reason });
};

/**
 * Attaches explained statements to a role as a policy of their own and acknowledges each wildcard
 * resource in them (cdk-nag's IAM5 finding is per resource), with the statement's reason.
 */
export const explainedPolicy = (
  scope: IConstruct,
  id: string,
  role: IRole,
  statements: readonly ExplainedStatement[],
): Policy => {
  const policy = new Policy(scope, id, {
    statements: statements.map(({ statement }) => statement),
    roles: [role],
  });
  for (const { statement, wildcardReason } of statements) {
    for (const arn of wildcardResourcesOf(policy, statement.resources)) {
      if (!wildcardReason) throw new UnexplainedWildcardError(`${policy.node.path}: ${arn} needs a reason`);
      acknowledge(policy, `AwsSolutions-IAM5[Resource::${arn}]`, wildcardReason);
    }
  }
  return policy;
};

/** The resources holding a wildcard, as cdk-nag names them in its findings. */
export const wildcardResourcesOf = (scope: IConstruct, resources: readonly unknown[]): string[] => [
  ...new Set(
    resources
      .map((resource) => flattenCfnReference(Stack.of(scope).resolve(resource)))
      .filter((arn) => arn.includes("*")),
  ),
];
