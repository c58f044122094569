import { readFileSync } from "node:fs";
import { z } from "zod";
import { estimatedMonthlyCostSchema } from "../events/cost-estimate.ts";
import { mustBe } from "../events/fields.ts";
import { regionSchema } from "../events/region.ts";
import { justificationSchema, requesterSchema, resourceSchema } from "../events/request.ts";
import { fieldErrorsOf } from "../events/validation.ts";

/** A group of the identity provider, as Cognito names them. */
export const groupNameSchema = z
  .string(mustBe("a string"))
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters");

/**
 * What a policy's `match` is evaluated against: the accepted request as the catalog carries it, with
 * the requester's groups from the identity provider. Fields join it as the product learns more about
 * a request; a pattern may name any of them.
 */
export const policyRequestSchema = z.strictObject(
  {
    requester: requesterSchema.extend({
      groups: z.array(groupNameSchema, mustBe("a list of group names")),
    }),
    resource: resourceSchema,
    justification: justificationSchema,
    region: regionSchema.optional(),
    estimatedMonthlyCostUsd: estimatedMonthlyCostSchema.optional(),
  },
  mustBe("an object with requester, resource and justification"),
);

export type PolicyRequest = z.output<typeof policyRequestSchema>;

/** A request document that does not have the shape policies are evaluated against. */
export class PolicyRequestError extends Error {
  override readonly name = "PolicyRequestError";
}

/** Checks a request document read from `source` (a file, a fixture), naming each field at fault. */
export const parsePolicyRequest = (value: unknown, source: string): PolicyRequest => {
  const result = policyRequestSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = fieldErrorsOf(result.error).map(({ field, message }) =>
    field === "" ? message : `${field} ${message}`,
  );
  throw new PolicyRequestError(`Invalid request in ${source}: ${problems.join("; ")}`, {
    cause: result.error,
  });
};

/** Reads and checks a request document from a JSON file; any problem throws PolicyRequestError naming the file. */
export const loadPolicyRequest = (path: string): PolicyRequest => {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new PolicyRequestError(`Invalid request in ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parsePolicyRequest(json, path);
};
